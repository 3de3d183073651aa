#include "sieve/regex.hpp"

#include <re2/re2.h>

#include <string>

namespace pochta::sieve {

namespace {

constexpr int64_t max_program_memory = 1 << 20;  // per pattern: RE2 refuses larger programs

}  // namespace

std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, Comparator comparator) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(comparator != Comparator::ascii_casemap);
    options.set_longest_match(true);
    options.set_dot_nl(true);
    options.set_max_mem(max_program_memory);
    if (comparator == Comparator::octet) options.set_encoding(RE2::Options::EncodingLatin1);
    return std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
}

std::string quote_regex(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (std::string_view("\\^$.[]|()?*+{}").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

}  // namespace pochta::sieve
