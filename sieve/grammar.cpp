#include "sieve/grammar.hpp"

namespace pochta::sieve {

namespace {

using T = Spec::Tests;
constexpr Value S = Value::string;
constexpr Value L = Value::strings;
constexpr Value N = Value::number;

std::vector<TagSpec> with(std::vector<TagSpec> a, const std::vector<TagSpec>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// RFC 5228 2.7.1 and 2.7.3, RFC 5231 (relational), the regex draft.
const std::vector<TagSpec> match_tags{
    {"is", Value::none, "", "match"},           {"contains", Value::none, "", "match"},
    {"matches", Value::none, "", "match"},      {"regex", Value::none, "regex", "match"},
    {"count", S, "relational", "match"},        {"value", S, "relational", "match"},
    {"comparator", S, "", "comparator"},
};

// RFC 5228 2.7.4 and RFC 5233 (subaddress).
const std::vector<TagSpec> address_parts{
    {"all", Value::none, "", "address-part"},        {"localpart", Value::none, "", "address-part"},
    {"domain", Value::none, "", "address-part"},     {"user", Value::none, "subaddress", "address-part"},
    {"detail", Value::none, "subaddress", "address-part"},
};

// RFC 5260 section 6.
const std::vector<TagSpec> index_tags{{"index", N, "index"}, {"last", Value::none, "index"}};

const std::vector<Spec>& specs() {
    static const std::vector<Spec> table{
        // RFC 5228 section 3: control
        {.name = "require", .op = Op::require, .positional = {L}},
        {.name = "if", .op = Op::if_, .tests = T::one, .block = true},
        {.name = "elsif", .op = Op::elsif, .tests = T::one, .block = true},
        {.name = "else", .op = Op::else_, .block = true},
        {.name = "stop", .op = Op::stop},
        // RFC 5228 section 4 and the action extensions
        {.name = "keep", .op = Op::keep, .tags = {{"flags", L, "imap4flags"}}},
        {.name = "discard", .op = Op::discard},
        {.name = "redirect", .op = Op::redirect, .tags = {{"copy", Value::none, "copy"}}, .positional = {S}},
        {.name = "fileinto",
         .op = Op::fileinto,
         .extension = "fileinto",
         .tags = {{"copy", Value::none, "copy"}, {"flags", L, "imap4flags"}, {"create", Value::none, "mailbox"}},
         .positional = {S}},
        {.name = "reject", .op = Op::reject, .extension = "reject", .positional = {S}},
        {.name = "ereject", .op = Op::ereject, .extension = "ereject", .positional = {S}},
        {.name = "vacation",
         .op = Op::vacation,
         .extension = "vacation",
         .tags = {{"days", N, "", "period"},
                  {"seconds", N, "vacation-seconds", "period"},
                  {"subject", S},
                  {"from", S},
                  {"addresses", L},
                  {"mime", Value::none},
                  {"handle", S}},
         .positional = {S}},
        // RFC 5232
        {.name = "setflag", .op = Op::setflag, .extension = "imap4flags", .positional = {S, L}, .optional_first = true},
        {.name = "addflag", .op = Op::addflag, .extension = "imap4flags", .positional = {S, L}, .optional_first = true},
        {.name = "removeflag",
         .op = Op::removeflag,
         .extension = "imap4flags",
         .positional = {S, L},
         .optional_first = true},
        // RFC 5229
        {.name = "set",
         .op = Op::set,
         .extension = "variables",
         .tags = {{"lower", Value::none, "", "case"},
                  {"upper", Value::none, "", "case"},
                  {"lowerfirst", Value::none, "", "first"},
                  {"upperfirst", Value::none, "", "first"},
                  {"quotewildcard", Value::none},
                  {"quoteregex", Value::none, "regex"},
                  {"length", Value::none}},
         .positional = {S, S}},
        // RFC 5293
        {.name = "addheader", .op = Op::addheader, .extension = "editheader", .tags = {{"last"}}, .positional = {S, S}},
        {.name = "deleteheader",
         .op = Op::deleteheader,
         .extension = "editheader",
         .tags = with({{"index", N}, {"last"}}, match_tags),
         .positional = {S, L},
         .optional_last = true},
        // RFC 6609
        {.name = "include",
         .op = Op::include,
         .extension = "include",
         .tags = {{"personal", Value::none, "", "location"},
                  {"global", Value::none, "", "location"},
                  {"once"},
                  {"optional"}},
         .positional = {S}},
        {.name = "return", .op = Op::return_, .extension = "include"},
        {.name = "global", .op = Op::global, .extension = "include", .positional = {L}},
        // RFC 5463
        {.name = "error", .op = Op::error, .extension = "ihave", .positional = {S}},

        // RFC 5228 section 5: tests
        {.name = "address",
         .op = Op::address,
         .test = true,
         .tags = with(with(match_tags, address_parts), index_tags),
         .positional = {L, L}},
        {.name = "allof", .op = Op::allof, .test = true, .tests = T::list},
        {.name = "anyof", .op = Op::anyof, .test = true, .tests = T::list},
        {.name = "envelope",
         .op = Op::envelope,
         .test = true,
         .extension = "envelope",
         .tags = with(match_tags, address_parts),
         .positional = {L, L}},
        {.name = "exists", .op = Op::exists, .test = true, .positional = {L}},
        {.name = "false", .op = Op::false_, .test = true},
        {.name = "true", .op = Op::true_, .test = true},
        {.name = "not", .op = Op::not_, .test = true, .tests = T::one},
        {.name = "size",
         .op = Op::size,
         .test = true,
         .tags = {{"over", N, "", "size"}, {"under", N, "", "size"}}},
        {.name = "header", .op = Op::header, .test = true, .tags = with(match_tags, index_tags), .positional = {L, L}},
        // RFC 5173
        {.name = "body",
         .op = Op::body,
         .test = true,
         .extension = "body",
         .tags = with(match_tags,
                      {{"raw", Value::none, "", "transform"},
                       {"content", L, "", "transform"},
                       {"text", Value::none, "", "transform"}}),
         .positional = {L}},
        // RFC 5260
        {.name = "date",
         .op = Op::date,
         .test = true,
         .extension = "date",
         .tags = with(with(match_tags, index_tags), {{"zone", S, "", "zone"}, {"originalzone", Value::none, "", "zone"}}),
         .positional = {S, S, L}},
        {.name = "currentdate",
         .op = Op::currentdate,
         .test = true,
         .extension = "date",
         .tags = with(match_tags, {{"zone", S}}),
         .positional = {S, L}},
        // RFC 5229
        {.name = "string", .op = Op::string, .test = true, .extension = "variables", .tags = match_tags, .positional = {L, L}},
        // RFC 5232
        {.name = "hasflag",
         .op = Op::hasflag,
         .test = true,
         .extension = "imap4flags",
         .tags = match_tags,
         .positional = {L, L},
         .optional_first = true},
        // RFC 5490
        {.name = "mailboxexists", .op = Op::mailboxexists, .test = true, .extension = "mailbox", .positional = {L}},
        // RFC 7352
        {.name = "duplicate",
         .op = Op::duplicate,
         .test = true,
         .extension = "duplicate",
         .tags = {{"handle", S}, {"header", S, "", "id"}, {"uniqueid", S, "", "id"}, {"seconds", N}, {"last"}}},
        // RFC 5183
        {.name = "environment",
         .op = Op::environment,
         .test = true,
         .extension = "environment",
         .tags = match_tags,
         .positional = {S, L}},
        // RFC 5463
        {.name = "ihave", .op = Op::ihave, .test = true, .extension = "ihave", .positional = {L}},
        // RFC 3685
        {.name = "spamtest",
         .op = Op::spamtest,
         .test = true,
         .extension = "spamtest",
         .tags = with(match_tags, {{"percent", Value::none, "spamtestplus"}}),
         .positional = {S}},
        {.name = "virustest", .op = Op::virustest, .test = true, .extension = "virustest", .tags = match_tags, .positional = {S}},
    };
    return table;
}

}  // namespace

const Spec* find_spec(std::string_view name) {
    for (const Spec& spec : specs())
        if (spec.name == name) return &spec;
    return nullptr;
}

}  // namespace pochta::sieve
