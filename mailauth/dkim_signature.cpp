#include "mailauth/dkim_signature.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "mailauth/dkim_tags.hpp"

namespace pochta::mailauth {

namespace {

// RFC 6376 3.5: the tags a signature must carry.
constexpr std::string_view required_tags[] = {"v", "a", "b", "bh", "d", "h", "s"};
// A timestamp beyond this is nonsense (and would overflow arithmetic on it).
constexpr uint64_t max_timestamp = 1ull << 40;

std::optional<DkimCanon> parse_canon(std::string_view name) {
    if (name == "simple") return DkimCanon::simple;
    if (name == "relaxed") return DkimCanon::relaxed;
    return std::nullopt;
}

// c= "header[/body]"; the body defaults to simple (RFC 6376 3.5).
std::string parse_c(std::string_view value, DkimSignature& sig) {
    const size_t slash = value.find('/');
    auto header = parse_canon(to_lower(value.substr(0, slash)));
    auto body = slash == std::string_view::npos ? DkimCanon::simple : parse_canon(to_lower(value.substr(slash + 1)));
    if (!header || !body) return fmt::format("unknown canonicalization c={}", value);
    sig.header_canon = *header;
    sig.body_canon = *body;
    return "";
}

std::string parse_a(std::string_view value, DkimSignature& sig) {
    sig.algorithm = to_lower(value);
    if (sig.algorithm == "rsa-sha256") {
        sig.key_type = DkimKeyType::rsa;
    } else if (sig.algorithm == "ed25519-sha256") {
        sig.key_type = DkimKeyType::ed25519;
    } else if (sig.algorithm == "rsa-sha1") {
        return "rsa-sha1 is not accepted (RFC 8301)";
    } else {
        return fmt::format("unknown algorithm a={}", value);
    }
    return "";
}

std::string parse_h(std::string_view value, DkimSignature& sig) {
    bool has_from = false;
    for (std::string_view name : split(value, ':')) {
        std::string field = to_lower(without_whitespace(name));
        if (field.empty()) return "empty field name in h=";
        if (sig.signed_fields.size() == max_dkim_signed_fields) return "too many fields in h=";
        has_from = has_from || field == "from";
        sig.signed_fields.push_back(std::move(field));
    }
    return has_from ? "" : "h= does not include From";
}

std::optional<uint64_t> parse_number(std::string_view value, uint64_t max) {
    auto n = parse_uint(value);
    if (!n || *n > max) return std::nullopt;
    return n;
}

// i= must be in d= or a subdomain of it (RFC 6376 3.5).
bool identity_within(std::string_view identity, std::string_view domain) {
    const size_t at = identity.rfind('@');
    if (at == std::string_view::npos) return false;
    const std::string id_domain = to_lower(identity.substr(at + 1));
    if (id_domain == domain) return true;
    return id_domain.size() > domain.size() && id_domain.ends_with(domain) &&
           id_domain[id_domain.size() - domain.size() - 1] == '.';
}

std::string check_values(const DkimTagList& tags, DkimSignature& sig, int64_t now) {
    for (std::string_view name : required_tags)
        if (!tags.find(name)) return fmt::format("missing {}= tag", name);
    if (tags.find("v")->value != "1") return fmt::format("unknown version v={}", tags.find("v")->value);
    if (auto error = parse_a(tags.find("a")->value, sig); !error.empty()) return error;
    auto b = base64_decode(sig.b_text);
    if (!b || b->empty()) return "b= is not base64";
    sig.signature = std::move(*b);
    auto bh = base64_decode(without_whitespace(tags.find("bh")->value));
    if (!bh || bh->empty()) return "bh= is not base64";
    sig.body_hash = std::move(*bh);
    if (const DkimTag* c = tags.find("c"))
        if (auto error = parse_c(c->value, sig); !error.empty()) return error;
    if (sig.domain.empty()) return "empty d=";
    if (sig.selector.empty()) return "empty s=";
    if (auto error = parse_h(tags.find("h")->value, sig); !error.empty()) return error;
    sig.identity = "@" + sig.domain;
    if (const DkimTag* i = tags.find("i")) {
        sig.identity = std::string(i->value);
        if (!identity_within(sig.identity, sig.domain)) return "i= is not within d=";
    }
    if (const DkimTag* q = tags.find("q")) {
        bool dns = false;
        for (std::string_view method : split(q->value, ':')) dns = dns || to_lower(trim(method)) == "dns/txt";
        if (!dns) return fmt::format("unknown query method q={}", q->value);
    }
    if (const DkimTag* l = tags.find("l")) {
        sig.body_length = parse_number(l->value, UINT64_MAX / 2);
        if (!sig.body_length) return "bad l=";
    }
    if (const DkimTag* t = tags.find("t")) {
        auto value = parse_number(t->value, max_timestamp);
        if (!value) return "bad t=";
        sig.timestamp = static_cast<int64_t>(*value);
    }
    if (const DkimTag* x = tags.find("x")) {
        auto value = parse_number(x->value, max_timestamp);
        if (!value) return "bad x=";
        sig.expiration = static_cast<int64_t>(*value);
        if (sig.timestamp && *sig.expiration < *sig.timestamp) return "x= before t=";
        if (*sig.expiration < now) return "signature expired (x=)";
    }
    return "";
}

}  // namespace

std::string_view dkim_canon_name(DkimCanon canon) { return canon == DkimCanon::simple ? "simple" : "relaxed"; }

DkimSignatureParse parse_dkim_signature(std::string_view value, int64_t now) {
    DkimSignatureParse out;
    DkimTagList tags = parse_dkim_tag_list(value);
    if (!tags.error.empty()) {
        out.error = tags.error;
        return out;
    }
    DkimSignature sig;
    if (const DkimTag* d = tags.find("d")) sig.domain = to_lower(d->value);
    if (const DkimTag* s = tags.find("s")) sig.selector = std::string(s->value);
    if (const DkimTag* b = tags.find("b")) sig.b_text = without_whitespace(b->value);
    if (const DkimTag* a = tags.find("a")) out.algorithm = to_lower(a->value);
    out.domain = sig.domain;
    out.selector = sig.selector;
    out.b_text = sig.b_text;
    out.error = check_values(tags, sig, now);
    if (out.error.empty()) out.signature = std::move(sig);
    return out;
}

}  // namespace pochta::mailauth
