// Fuzzes the ManageSieve grammar: the input goes through the framer in
// pieces (as it would arrive), and each framed command through
// parse_command. Beyond "no crash", checks what the session relies on:
// framed text stays within its bounds, unknown names come back short and
// printable, and an accepted command printed back with the response
// library's strings (quoted or literal) parses to the same arguments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "managesieve/command.hpp"
#include "managesieve/framer.hpp"
#include "managesieve/response.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::managesieve;

namespace {

constexpr size_t max_line = 256;
constexpr size_t max_literal = 512;

bool printable(std::string_view s) {
    for (unsigned char c : s)
        if (c < 32 || c > 126) return false;
    return true;
}

void check_command(std::string_view text) {
    Command c = parse_command(text);
    FUZZ_CHECK(c.verb_text.size() <= max_verb_text && printable(c.verb_text));
    if (c.verb == Verb::unknown) {
        FUZZ_CHECK(c.syntax_error.empty() && c.args.empty());
        return;
    }
    if (!c.syntax_error.empty()) return;
    FUZZ_CHECK(c.args.size() <= max_arguments);
    std::string printed = c.verb_text;
    for (const Argument& arg : c.args) printed += " " + (arg.number ? arg.value : string_value(arg.value));
    Command again = parse_command(printed);
    FUZZ_CHECK(again.verb == c.verb && again.syntax_error.empty() && again.args.size() == c.args.size());
    for (size_t i = 0; i < c.args.size(); i++)
        FUZZ_CHECK(again.args[i].value == c.args[i].value && again.args[i].number == c.args[i].number);
    FUZZ_CHECK(again.size == c.size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t piece = data[0] % 16 + 1;  // how the bytes arrive
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    CommandFramer framer;
    framer.set_limits(max_line, max_literal);
    while (!input.empty()) {
        size_t taken = framer.feed(input.substr(0, piece));
        input.remove_prefix(taken);
        auto status = framer.status();
        if (status == CommandFramer::Status::too_long) return 0;
        if (status == CommandFramer::Status::incomplete) {
            FUZZ_CHECK(taken > 0);
            continue;
        }
        std::string text = framer.take();
        FUZZ_CHECK(text.size() <= (max_line + 2) * (max_literals + 1) + max_literal * max_literals);
        check_command(text);
        parse_sasl_response(text);
    }
    return 0;
}
