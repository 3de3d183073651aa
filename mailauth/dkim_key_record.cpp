#include "mailauth/dkim_key_record.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "mailauth/dkim_tags.hpp"

namespace pochta::mailauth {

namespace {

// A colon-separated list (h=, s=, t=) holds `wanted` (or `other`).
bool list_has(std::string_view list, std::string_view wanted, std::string_view other = {}) {
    for (std::string_view item : split(list, ':')) {
        std::string word = to_lower(without_whitespace(item));
        if (word == wanted || (!other.empty() && word == other)) return true;
    }
    return false;
}

std::string check(const DkimTagList& tags, DkimKeyRecord& record) {
    if (const DkimTag* v = tags.find("v")) {
        if (&tags.tags.front() != v) return "v= is not the first tag";
        if (v->value != "DKIM1") return fmt::format("unknown version v={}", v->value);
    }
    if (const DkimTag* h = tags.find("h"))
        if (!list_has(h->value, "sha256")) return "h= does not allow sha256";
    if (const DkimTag* k = tags.find("k")) {
        auto type = parse_dkim_key_type(to_lower(k->value));
        if (!type) return fmt::format("unknown key type k={}", k->value);
        record.type = *type;
    }
    if (const DkimTag* s = tags.find("s"))
        if (!list_has(s->value, "email", "*")) return "s= does not allow email";
    if (const DkimTag* t = tags.find("t")) {
        record.testing = list_has(t->value, "y");
        record.strict_identity = list_has(t->value, "s");
    }
    const DkimTag* p = tags.find("p");
    if (!p) return "missing p= tag";
    auto key = base64_decode(without_whitespace(p->value));
    if (!key) return "p= is not base64";
    record.public_key = std::move(*key);
    return "";
}

}  // namespace

DkimKeyRecordParse parse_dkim_key_record(std::string_view text) {
    DkimKeyRecordParse out;
    DkimTagList tags = parse_dkim_tag_list(text);
    out.error = tags.error.empty() ? check(tags, out.record) : tags.error;
    return out;
}

}  // namespace pochta::mailauth
