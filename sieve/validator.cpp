#include "sieve/validator.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>

#include "common/util/strings.hpp"
#include "sieve/address_parts.hpp"
#include "sieve/date_parts.hpp"
#include "sieve/encoded_character.hpp"
#include "sieve/extensions.hpp"
#include "sieve/grammar.hpp"
#include "sieve/regex.hpp"
#include "sieve/variables.hpp"

namespace pochta::sieve {

namespace {

struct Failure {
    Error error;
};

[[noreturn]] void fail(Position where, std::string message) { throw Failure{Error{where, std::move(message)}}; }

bool is_constant(const Script& script, std::string_view s) {
    return !script.variables || s.find("${") == std::string_view::npos;
}

std::optional<Relation> relation_named(std::string_view name) {
    static const std::array<std::pair<std::string_view, Relation>, 6> names{
        {{"gt", Relation::gt}, {"ge", Relation::ge}, {"lt", Relation::lt}, {"le", Relation::le}, {"eq", Relation::eq},
         {"ne", Relation::ne}}};
    for (const auto& [n, r] : names)
        if (iequals(n, name)) return r;
    return std::nullopt;
}

class Validator {
public:
    explicit Validator(Script& script) : script_(script) {}

    void run() {
        requires_allowed_ = true;
        commands(script_.commands, true);
    }

private:
    bool has(std::string_view extension) const {
        return std::find(extensions_.begin(), extensions_.end(), extension) != extensions_.end();
    }

    void need(std::string_view extension, Position where, std::string_view what) {
        if (!extension.empty() && !has(extension))
            fail(where, std::string(what) + " needs require \"" + std::string(extension) + "\"");
    }

    void require(const Node& node) {
        if (!requires_allowed_) fail(node.position, "require must come before any other command");
        for (const std::string& name : node.positional[0].strings) {
            std::string extension = to_lower(name);
            if (!is_supported_extension(extension)) fail(node.positional[0].position, "unsupported extension \"" + name + "\"");
            add_extension(extension);
        }
    }

    void add_extension(const std::string& extension) {
        if (has(extension)) return;
        extensions_.push_back(extension);
        script_.extensions.push_back(extension);
        if (extension == "variables") script_.variables = true;
        if (extension == "spamtestplus") add_extension("spamtest");
        if (extension == "vacation-seconds") add_extension("vacation");
    }

    void commands(std::vector<Node>& nodes, bool top_level) {
        Op previous = Op::unknown;
        for (Node& node : nodes) {
            const Spec* spec = find_spec(node.name);
            if (!spec) fail(node.position, "unknown command '" + node.name + "'");
            if (spec->test) fail(node.position, "'" + node.name + "' is a test, not a command");
            if (spec->op == Op::require) {
                if (!top_level) fail(node.position, "require must come before any other command");
            } else {
                requires_allowed_ = false;
            }
            if ((spec->op == Op::elsif || spec->op == Op::else_) && previous != Op::if_ && previous != Op::elsif)
                fail(node.position, "'" + node.name + "' without a preceding 'if'");
            resolve(node, *spec);
            if (spec->op == Op::require) require(node);
            if (node.has_block) block(node);
            previous = node.op;
        }
    }

    // RFC 5463 section 4: a block guarded by ihave of missing extensions is
    // not checked, and never runs; one guarded by supported ones may use them.
    void block(Node& node) {
        std::vector<std::string> guarded;
        bool missing = false;
        if (!node.tests.empty()) ihave_guards(node.tests[0], guarded, missing);
        if (missing) {
            mark_unknown(node.block);
            return;
        }
        size_t before = extensions_.size();
        for (const std::string& extension : guarded)
            if (!has(extension)) extensions_.push_back(extension);
        commands(node.block, false);
        extensions_.resize(before);
    }

    void ihave_guards(const Node& test, std::vector<std::string>& guarded, bool& missing) {
        if (test.op == Op::allof) {
            for (const Node& t : test.tests) ihave_guards(t, guarded, missing);
        } else if (test.op == Op::ihave) {
            for (const std::string& name : test.positional[0].strings) {
                std::string extension = to_lower(name);
                if (is_supported_extension(extension))
                    guarded.push_back(extension);
                else
                    missing = true;
            }
        }
    }

    static void mark_unknown(std::vector<Node>& nodes) {
        for (Node& node : nodes) {
            node.op = Op::unknown;
            mark_unknown(node.block);
        }
    }

    void test(Node& node) {
        const Spec* spec = find_spec(node.name);
        if (!spec) fail(node.position, "unknown test '" + node.name + "'");
        if (!spec->test) fail(node.position, "'" + node.name + "' is a command, not a test");
        resolve(node, *spec);
    }

    void decode(Argument& arg) {
        if (!has("encoded-character") || arg.kind != Argument::Kind::strings) return;
        for (std::string& s : arg.strings) {
            auto decoded = decode_encoded_characters(s);
            if (!decoded) fail(arg.position, "invalid ${unicode:...} value");
            s = std::move(*decoded);
        }
    }

    static bool fits(const Argument& arg, Value value) {
        switch (value) {
            case Value::string: return arg.kind == Argument::Kind::strings && !arg.list;
            case Value::strings: return arg.kind == Argument::Kind::strings;
            case Value::number: return arg.kind == Argument::Kind::number;
            case Value::none: return false;
        }
        return false;
    }

    static const char* describe(Value value) {
        switch (value) {
            case Value::string: return "a string";
            case Value::strings: return "a string list";
            case Value::number: return "a number";
            case Value::none: return "nothing";
        }
        return "";
    }

    void resolve(Node& node, const Spec& spec) {
        need(spec.extension, node.position, "'" + node.name + "'");
        node.op = spec.op;
        split_arguments(node, spec);
        check_positional(node, spec);
        check_tests_and_block(node, spec);
        for (Node& t : node.tests) test(t);
        resolve_match(node);
        resolve_address_part(node);
        check_values(node);
    }

    void split_arguments(Node& node, const Spec& spec) {
        std::vector<std::string_view> groups;
        for (size_t i = 0; i < node.arguments.size(); i++) {
            Argument& arg = node.arguments[i];
            decode(arg);
            if (arg.kind != Argument::Kind::tag) {
                node.positional.push_back(arg);
                continue;
            }
            if (!node.positional.empty()) fail(arg.position, "tag :" + arg.tag + " after the positional arguments");
            auto tag = std::find_if(spec.tags.begin(), spec.tags.end(), [&](const TagSpec& t) { return t.name == arg.tag; });
            if (tag == spec.tags.end()) fail(arg.position, "unknown tag :" + arg.tag + " for '" + node.name + "'");
            need(tag->extension, arg.position, ":" + arg.tag);
            std::string_view group = tag->group.empty() ? tag->name : tag->group;
            if (std::find(groups.begin(), groups.end(), group) != groups.end())
                fail(arg.position, "tag :" + arg.tag + " conflicts with an earlier tag");
            groups.push_back(group);
            Tagged tagged{arg.tag, {}};
            if (tag->value != Value::none) {
                if (i + 1 >= node.arguments.size() || !fits(node.arguments[i + 1], tag->value) ||
                    node.arguments[i + 1].kind == Argument::Kind::tag)
                    fail(arg.position, ":" + arg.tag + " needs " + describe(tag->value));
                decode(node.arguments[++i]);
                tagged.value = node.arguments[i];
            }
            node.tagged.push_back(std::move(tagged));
        }
    }

    void check_positional(Node& node, const Spec& spec) {
        size_t want = spec.positional.size();
        size_t have = node.positional.size();
        bool short_ok = (spec.optional_first || spec.optional_last) && have + 1 == want;
        if (have != want && !short_ok) {
            Position where = have ? node.positional.back().position : node.position;
            fail(where, "'" + node.name + "' takes " + std::to_string(want) + " positional argument" +
                            (want == 1 ? "" : "s"));
        }
        size_t skip = (short_ok && spec.optional_first) ? 1 : 0;
        for (size_t i = 0; i < have; i++) {
            Value value = spec.positional[i + skip];
            if (!fits(node.positional[i], value))
                fail(node.positional[i].position, "'" + node.name + "' expects " + describe(value) + " here");
        }
    }

    void check_tests_and_block(Node& node, const Spec& spec) {
        if (spec.tests == Spec::Tests::none && !node.tests.empty())
            fail(node.tests[0].position, "'" + node.name + "' takes no test");
        if (spec.tests == Spec::Tests::one && node.tests.size() != 1)
            fail(node.position, "'" + node.name + "' needs one test");
        if (spec.tests == Spec::Tests::list && node.tests.empty())
            fail(node.position, "'" + node.name + "' needs a list of tests");
        if (spec.block && !node.has_block) fail(node.position, "'" + node.name + "' needs a block");
        if (!spec.block && node.has_block) fail(node.position, "'" + node.name + "' takes no block");
    }

    void resolve_match(Node& node) {
        Match& m = node.match;
        for (const Tagged& t : node.tagged) {
            if (t.name == "is") m.type = MatchType::is;
            else if (t.name == "contains") m.type = MatchType::contains;
            else if (t.name == "matches") m.type = MatchType::matches;
            else if (t.name == "regex") m.type = MatchType::regex;
            else if (t.name == "count" || t.name == "value") {
                m.type = t.name == "count" ? MatchType::count : MatchType::value;
                auto relation = relation_named(t.value.strings[0]);
                if (!relation) fail(t.value.position, "unknown relational operator \"" + t.value.strings[0] + "\"");
                m.relation = *relation;
            } else if (t.name == "comparator") {
                m.comparator = comparator(t.value);
            }
        }
        bool substring = m.type == MatchType::contains || m.type == MatchType::matches || m.type == MatchType::regex;
        if (m.comparator == Comparator::ascii_numeric && substring)
            fail(node.position, "comparator i;ascii-numeric cannot be used with this match type");
        if (m.type == MatchType::regex) compile_regexes(node);
    }

    Comparator comparator(const Argument& value) {
        const std::string& name = value.strings[0];
        if (iequals(name, "i;octet")) return Comparator::octet;
        if (iequals(name, "i;ascii-casemap")) return Comparator::ascii_casemap;
        if (iequals(name, "i;ascii-numeric")) {
            need("comparator-i;ascii-numeric", value.position, "comparator i;ascii-numeric");
            return Comparator::ascii_numeric;
        }
        fail(value.position, "unknown comparator \"" + name + "\"");
    }

    // The key list is the last positional argument of every test with a
    // match type (deleteheader: its value patterns, when given).
    void compile_regexes(Node& node) {
        if (node.positional.empty()) return;
        const Argument& keys = node.positional.back();
        if (node.op == Op::deleteheader && node.positional.size() < 2) return;
        bool all_constant = true;
        for (const std::string& key : keys.strings) all_constant = all_constant && is_constant(script_, key);
        for (const std::string& key : keys.strings) {
            auto regex = compile_regex(key, node.match.comparator);
            if (!regex->ok()) fail(keys.position, "invalid regular expression \"" + key + "\": " + regex->error());
            if (all_constant) node.match.regexes.push_back(std::move(regex));
        }
        if (!all_constant) node.match.regexes.clear();
    }

    void resolve_address_part(Node& node) {
        for (const Tagged& t : node.tagged) {
            if (t.name == "localpart") node.address_part = AddressPart::localpart;
            else if (t.name == "domain") node.address_part = AddressPart::domain;
            else if (t.name == "user") node.address_part = AddressPart::user;
            else if (t.name == "detail") node.address_part = AddressPart::detail;
        }
    }

    void variable_names(const Argument& arg, Position where) {
        for (const std::string& name : arg.strings)
            if (!valid_variable_name(name)) fail(where, "invalid variable name \"" + name + "\"");
    }

    void check_values(Node& node) {
        switch (node.op) {
            case Op::size:
                if (node.tagged.empty()) fail(node.position, "'size' needs :over or :under");
                break;
            case Op::address:
            case Op::header:
            case Op::date:
            case Op::deleteheader:
                if (node.tag("last") && !node.tag("index")) fail(node.position, ":last needs :index");
                if (node.op == Op::date) check_date_part(node.positional[1]);
                if (const Tagged* zone = node.tag("zone")) check_zone(zone->value);
                break;
            case Op::currentdate:
                check_date_part(node.positional[0]);
                if (const Tagged* zone = node.tag("zone")) check_zone(zone->value);
                break;
            case Op::envelope:
                for (const std::string& part : node.positional[0].strings)
                    if (is_constant(script_, part) && !iequals(part, "from") && !iequals(part, "to"))
                        fail(node.positional[0].position, "unknown envelope part \"" + part + "\"");
                break;
            case Op::redirect:
                address(node.positional[0]);
                break;
            case Op::vacation:
                if (const Tagged* from = node.tag("from")) address(from->value);
                break;
            case Op::set:
                variable_names(node.positional[0], node.positional[0].position);
                break;
            case Op::setflag:
            case Op::addflag:
            case Op::removeflag:
            case Op::hasflag:
                if (node.positional.size() == 2) {
                    need("variables", node.positional[0].position, "a flag variable");
                    variable_names(node.positional[0], node.positional[0].position);
                }
                break;
            case Op::global:
                need("variables", node.position, "'global'");
                variable_names(node.positional[0], node.positional[0].position);
                break;
            case Op::include:
                if (node.positional[0].strings[0].empty() || node.positional[0].strings[0].find('/') != std::string::npos)
                    fail(node.positional[0].position, "invalid script name");
                break;
            default:
                break;
        }
    }

    void check_date_part(const Argument& arg) {
        const std::string& part = arg.strings[0];
        if (!is_constant(script_, part)) return;
        if (!sieve::date_part(0, 0, part))
            fail(arg.position, "unknown date part \"" + part + "\"");
    }

    void check_zone(const Argument& arg) {
        if (is_constant(script_, arg.strings[0]) && !parse_zone(arg.strings[0]))
            fail(arg.position, "invalid time zone \"" + arg.strings[0] + "\"");
    }

    void address(const Argument& arg) {
        const std::string& a = arg.strings[0];
        if (is_constant(script_, a) && !valid_address(a)) fail(arg.position, "invalid address \"" + a + "\"");
    }

    Script& script_;
    std::vector<std::string> extensions_;
    bool requires_allowed_ = true;
};

}  // namespace

std::optional<Error> validate(Script& script) {
    try {
        Validator(script).run();
        return std::nullopt;
    } catch (const Failure& failure) {
        return failure.error;
    }
}

}  // namespace pochta::sieve
