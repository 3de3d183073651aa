#include "mailauth/dmarc_author.hpp"

#include "common/mime/address_list.hpp"
#include "common/mime/header.hpp"
#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

constexpr uint32_t max_from_value = 16384;
constexpr size_t max_from_addresses = 100;

// The one domain of a From field's addresses; no_domain or several_domains otherwise.
Author author_of(std::string_view value) {
    Author author{AuthorStatus::no_domain, {}};
    for (const auto& entry : mime::parse_address_list(value, max_from_addresses)) {
        if (entry.kind != mime::AddressEntry::Kind::mailbox || !entry.host || entry.host->empty()) continue;
        std::string domain = to_lower(*entry.host);
        if (domain.front() == '[') continue;  // an address literal names no domain
        if (author.status == AuthorStatus::one_domain && domain != author.domain)
            return Author{AuthorStatus::several_domains, {}};
        author = Author{AuthorStatus::one_domain, std::move(domain)};
    }
    return author;
}

}  // namespace

Author find_author(std::string_view header) {
    header = header.substr(0, mime::find_header_end(header, 0, header.size()));
    Author author;
    unsigned from_fields = 0;
    mime::for_each_field(header, max_from_value, [&](std::string_view name, std::string value) {
        if (!iequals(name, "From")) return true;
        if (++from_fields > 1) return false;
        author = author_of(value);
        return true;
    });
    if (from_fields > 1) return Author{AuthorStatus::several_from, {}};
    return author;
}

}  // namespace pochta::mailauth
