// The author domain DMARC judges (RFC 7489 3.1, 6.6.1): the domain of the
// one address in the one From field. What a message with no From, several
// From fields or several authors gets is decided by the checks on arrival
// (README.md, "DMARC").
#pragma once

#include <string>
#include <string_view>

namespace pochta::mailauth {

enum class AuthorStatus {
    one_domain,       // every address in the one From field has this domain
    no_from,          // no From field
    no_domain,        // one From field without an address with a domain
    several_from,     // more than one From field (a display trick: refused)
    several_domains,  // one From field, addresses of different domains
};

struct Author {
    AuthorStatus status = AuthorStatus::no_from;
    std::string domain;   // lowercased, when one_domain
};

// `header` is the message's header section (or a prefix of the message
// that holds it). Reads at most 100 addresses of a From field.
Author find_author(std::string_view header);

}  // namespace pochta::mailauth
