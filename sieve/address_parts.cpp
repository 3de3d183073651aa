#include "sieve/address_parts.hpp"

#include "common/mime/address_list.hpp"

namespace pochta::sieve {

namespace {

constexpr size_t max_addresses = 1000;  // per field
constexpr char detail_separator = '+';

}  // namespace

std::vector<std::string> header_addresses(std::string_view value) {
    std::vector<std::string> out;
    for (const mime::AddressEntry& entry : mime::parse_address_list(value, max_addresses)) {
        if (entry.kind != mime::AddressEntry::Kind::mailbox) continue;
        out.push_back(entry.host ? entry.mailbox + "@" + *entry.host : entry.mailbox);
    }
    return out;
}

std::optional<std::string> address_part(std::string_view address, AddressPart part) {
    size_t at = address.rfind('@');
    std::string_view local = at == std::string_view::npos ? address : address.substr(0, at);
    std::string_view domain = at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
    size_t separator = local.find(detail_separator);
    switch (part) {
        case AddressPart::all: return std::string(address);
        case AddressPart::localpart: return std::string(local);
        case AddressPart::domain: return std::string(domain);
        case AddressPart::user: return std::string(local.substr(0, separator));
        case AddressPart::detail:
            if (separator == std::string_view::npos) return std::nullopt;
            return std::string(local.substr(separator + 1));
    }
    return std::nullopt;
}

bool valid_address(std::string_view text) {
    size_t at = text.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) return false;
    for (char c : text)
        if (c == ' ' || c == '<' || c == '>' || c == ',' || c == '\r' || c == '\n' || c == '\t' || c == '\0')
            return false;
    return true;
}

}  // namespace pochta::sieve
