// The tests of a Sieve run (README.md "Sieve"): each collects the values it
// looks at and matches them against its keys. Commands are in run_commands.cpp.
#include <re2/re2.h>

#include <algorithm>

#include "common/mime/message_date.hpp"
#include "common/util/strings.hpp"
#include "sieve/address_parts.hpp"
#include "sieve/date_parts.hpp"
#include "sieve/extensions.hpp"
#include "sieve/match.hpp"
#include "sieve/regex.hpp"
#include "sieve/run.hpp"

namespace pochta::sieve {

namespace {

constexpr uint64_t default_duplicate_seconds = 7 * 86400;
constexpr size_t max_regex_groups = 10;  // ${0}..${9}
constexpr uint64_t bytes_per_step = 4096; // a long value costs more steps

std::string verdict(const std::optional<int>& value) { return value ? std::to_string(*value) : "0"; }

// RFC 5260 4.1: a Received field's date follows its last semicolon.
std::string_view date_text(const HeaderField& field) {
    std::string_view value = field.decoded();
    if (!iequals(field.name, "received")) return value;
    size_t semicolon = value.rfind(';');
    return semicolon == std::string_view::npos ? value : value.substr(semicolon + 1);
}

bool content_type_matches(const BodyPart& part, const std::string& wanted) {
    if (wanted.empty()) return true;
    size_t slash = wanted.find('/');
    if (slash == std::string::npos) return iequals(part.type, wanted);
    return iequals(part.type, wanted.substr(0, slash)) && iequals(part.subtype, wanted.substr(slash + 1));
}

}  // namespace

bool Run::test(Frame& frame, const Node& node) {
    step(node);
    switch (node.op) {
        case Op::true_: return true;
        case Op::false_: return false;
        case Op::not_: return !test(frame, node.tests[0]);
        case Op::allof:
            return std::all_of(node.tests.begin(), node.tests.end(), [&](const Node& t) { return test(frame, t); });
        case Op::anyof:
            return std::any_of(node.tests.begin(), node.tests.end(), [&](const Node& t) { return test(frame, t); });
        case Op::header: return header_test(frame, node);
        case Op::address: return address_test(frame, node);
        case Op::envelope: return envelope_test(frame, node);
        case Op::exists: return exists_test(frame, node);
        case Op::size: {
            const Tagged& limit = node.tagged[0];
            return limit.name == "over" ? message_.size() > limit.value.number : message_.size() < limit.value.number;
        }
        case Op::body: return body_test(frame, node);
        case Op::date: return date_test(frame, node);
        case Op::currentdate: return currentdate_test(frame, node);
        case Op::string: {
            // RFC 5229 5: for :count an empty string counts as none.
            std::vector<std::string> values = expand_all(frame, node.positional[0]);
            if (node.match.type == MatchType::count) std::erase(values, std::string());
            return match(frame, node, values);
        }
        case Op::hasflag: return hasflag_test(frame, node);
        case Op::mailboxexists:
            for (const std::string& name : expand_all(frame, node.positional[0]))
                if (!context_.mailbox_exists || !context_.mailbox_exists(name)) return false;
            return true;
        case Op::duplicate: return duplicate_test(frame, node);
        case Op::environment: {
            auto item = context_.environment.find(to_lower(expand(frame, node.positional[0].strings[0])));
            if (item == context_.environment.end()) return false;
            return match(frame, node, std::vector<std::string_view>{item->second});
        }
        case Op::ihave:
            for (const std::string& name : expand_all(frame, node.positional[0]))
                if (!is_supported_extension(to_lower(name))) return false;
            return true;
        case Op::spamtest:
            return match(frame, node, std::vector<std::string>{verdict(node.tag("percent") ? context_.spam_percent : context_.spam_score)});
        case Op::virustest: return match(frame, node, std::vector<std::string>{verdict(context_.virus_score)});
        default: error(node, "'" + node.name + "' cannot run here");
    }
}

std::vector<size_t> Run::fields(const Node& node, std::string_view name) {
    std::vector<size_t> found;
    const std::vector<HeaderField>& all = header();
    for (size_t i = 0; i < all.size(); i++)
        if (iequals(all[i].name, name)) found.push_back(i);
    step(node, all.size() / 64);
    const Tagged* index = node.tag("index");
    if (!index) return found;
    uint64_t n = index->value.number;
    if (n == 0 || n > found.size()) return {};
    return {node.tag("last") ? found[found.size() - n] : found[n - 1]};
}

bool Run::header_test(Frame& frame, const Node& node) {
    std::vector<std::string> values;
    for (const std::string& name : expand_all(frame, node.positional[0]))
        for (size_t i : fields(node, name)) values.push_back(header()[i].decoded());
    return match(frame, node, values);
}

bool Run::exists_test(Frame& frame, const Node& node) {
    for (const std::string& name : expand_all(frame, node.positional[0]))
        if (fields(node, name).empty()) return false;
    return true;
}

bool Run::address_test(Frame& frame, const Node& node) {
    std::vector<std::string> values;
    for (const std::string& name : expand_all(frame, node.positional[0]))
        for (size_t i : fields(node, name))
            for (const std::string& address : header()[i].addresses())
                if (auto part = address_part(address, node.address_part)) values.push_back(std::move(*part));
    return match(frame, node, values);
}

// RFC 5228 5.4: the null sender's parts are all empty.
bool Run::envelope_test(Frame& frame, const Node& node) {
    std::vector<std::string> values;
    for (const std::string& name : expand_all(frame, node.positional[0])) {
        std::string part = to_lower(name);
        const std::string* address = part == "from" ? &context_.envelope.from
                                     : part == "to" ? &context_.envelope.to
                                                    : nullptr;
        if (!address) continue;
        if (address->empty()) {
            if (node.address_part != AddressPart::detail) values.emplace_back();
        } else if (auto value = address_part(*address, node.address_part)) {
            values.push_back(std::move(*value));
        }
    }
    return match(frame, node, values);
}

// RFC 5173: :raw is the undecoded body; :text (the default) the text
// parts; :content the parts of the listed types, text ones as text.
bool Run::body_test(Frame& frame, const Node& node) {
    if (node.tag("raw")) return match(frame, node, std::vector<std::string_view>{message_.raw_body()});
    if (const Tagged* content = node.tag("content")) {
        std::vector<std::string> types = expand_all(frame, content->value);
        std::vector<std::string_view> values;
        for (const BodyPart& part : message_.body_parts())
            if (std::any_of(types.begin(), types.end(), [&](const std::string& t) { return content_type_matches(part, t); }))
                values.emplace_back(part.content);
        return match(frame, node, values);
    }
    const std::vector<std::string>& texts = message_.text_parts();
    return match(frame, node, std::vector<std::string_view>(texts.begin(), texts.end()));
}

// RFC 5260 4: the date part of each field that holds a valid date, in the
// zone asked for (:zone), the field's own (:originalzone) or the local one.
bool Run::date_test(Frame& frame, const Node& node) {
    std::string name = expand(frame, node.positional[0].strings[0]);
    std::string part = expand(frame, node.positional[1].strings[0]);
    std::optional<int> zone = context_.zone_minutes;
    if (const Tagged* z = node.tag("zone")) zone = parse_zone(expand(frame, z->value.strings[0]));
    if (!zone) error(node, "invalid time zone");
    std::vector<std::string> values;
    for (size_t i : fields(node, name)) {
        auto date = mime::parse_message_date(date_text(header()[i]));
        if (!date) continue;
        int shown = node.tag("originalzone") ? date->zone_minutes : *zone;
        if (auto value = date_part(date->utc_seconds(), shown, part)) values.push_back(std::move(*value));
    }
    return match(frame, node, values);
}

bool Run::currentdate_test(Frame& frame, const Node& node) {
    std::string part = expand(frame, node.positional[0].strings[0]);
    std::optional<int> zone = context_.zone_minutes;
    if (const Tagged* z = node.tag("zone")) zone = parse_zone(expand(frame, z->value.strings[0]));
    if (!zone) error(node, "invalid time zone");
    auto value = date_part(context_.now, *zone, part);
    if (!value) error(node, "unknown date part " + part);
    return match(frame, node, std::vector<std::string>{*value});
}

// RFC 5232 section 6: the flags of the internal variable, or of the named
// variables; the keys are flag lists too.
bool Run::hasflag_test(Frame& frame, const Node& node) {
    std::vector<std::string> flags;
    if (node.positional.size() == 2) {
        std::vector<std::string> values;
        for (const std::string& name : expand_all(frame, node.positional[0]))
            values.emplace_back(frame.variables.get(to_lower(name)));
        flags = flag_words(values);
    } else {
        flags = flags_;
    }
    return match(frame, node, flags);
}

// RFC 7352: the message's identity (its Message-ID, another field or
// :uniqueid) asked of the caller, and listed to be recorded.
bool Run::duplicate_test(Frame& frame, const Node& node) {
    DuplicateCheck check;
    if (const Tagged* t = node.tag("handle")) check.handle = expand(frame, t->value.strings[0]);
    if (const Tagged* t = node.tag("uniqueid")) {
        check.id = expand(frame, t->value.strings[0]);
    } else {
        std::string name = "message-id";
        if (const Tagged* t = node.tag("header")) name = expand(frame, t->value.strings[0]);
        std::vector<size_t> found = fields(node, name);
        if (found.empty()) return false;
        check.id = header()[found[0]].value;
    }
    check.seconds = default_duplicate_seconds;
    if (const Tagged* t = node.tag("seconds")) check.seconds = t->value.number;
    check.last = node.tag("last") != nullptr;
    bool seen = context_.seen_before && context_.seen_before(check);
    result_.duplicate_marks.push_back(std::move(check));
    return seen;
}

bool Run::match(Frame& frame, const Node& node, const std::vector<std::string>& values) {
    return match(frame, node, std::vector<std::string_view>(values.begin(), values.end()));
}

bool Run::match(Frame& frame, const Node& node, const std::vector<std::string_view>& values) {
    const Match& m = node.match;
    const Argument& key_list = node.positional.back();
    std::vector<std::string> keys = expand_all(frame, key_list);
    step(node, values.size() * keys.size());
    if (m.type == MatchType::count) {
        std::string count = std::to_string(values.size());
        return std::any_of(keys.begin(), keys.end(),
                           [&](const std::string& key) { return relation_holds(m.relation, compare_order(m.comparator, count, key)); });
    }
    bool capture = frame.script.variables && (m.type == MatchType::matches || m.type == MatchType::regex);
    std::vector<std::string> captures;
    for (std::string_view value : values) {
        step(node, value.size() / bytes_per_step);
        for (size_t k = 0; k < keys.size(); k++) {
            if (!match_one(frame, node, value, keys[k], k, capture ? &captures : nullptr)) continue;
            if (capture) frame.variables.set_match(std::move(captures));
            return true;
        }
    }
    return false;
}

bool Run::match_one(Frame&, const Node& node, std::string_view value, std::string_view key, size_t key_index,
                    std::vector<std::string>* captures) {
    const Match& m = node.match;
    switch (m.type) {
        case MatchType::is: return compare_equal(m.comparator, value, key);
        case MatchType::contains: return contains(m.comparator, value, key);
        case MatchType::matches: return wildcard_match(m.comparator, value, key, captures);
        case MatchType::value: return relation_holds(m.relation, compare_order(m.comparator, value, key));
        case MatchType::count: return false;
        case MatchType::regex: break;
    }
    std::shared_ptr<const re2::RE2> regex;
    if (key_index < m.regexes.size()) {
        regex = m.regexes[key_index];
    } else {
        step(node, 100);  // compiling costs more than matching
        regex = compile_regex(key, m.comparator);
        if (!regex->ok()) error(node, "invalid regular expression " + std::string(key));
    }
    size_t groups = std::min<size_t>(static_cast<size_t>(regex->NumberOfCapturingGroups()) + 1, max_regex_groups);
    std::vector<re2::StringPiece> pieces(groups);
    re2::StringPiece text(value.data(), value.size());
    if (!regex->Match(text, 0, text.size(), RE2::UNANCHORED, pieces.data(), static_cast<int>(groups))) return false;
    if (captures) {
        captures->clear();
        for (const re2::StringPiece& piece : pieces) captures->emplace_back(piece.data() ? piece : re2::StringPiece());
    }
    return true;
}

}  // namespace pochta::sieve
