// Fuzzes the Sieve lexer, parser and validator (sieve/parser, validator)
// with small limits. The input is a script. Beyond "no crash": a compile
// error points inside the script (line and column from 1, never past its
// last line), and a script that compiles also parses alone with the same
// limits and holds no more nodes than they allow.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "sieve/interpreter.hpp"
#include "sieve/parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::sieve;

namespace {

size_t count_nodes(const std::vector<Node>& nodes) {
    size_t n = 0;
    for (const Node& node : nodes) n += 1 + count_nodes(node.tests) + count_nodes(node.block);
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    ParseLimits limits;
    limits.max_script_bytes = 64 * 1024;
    limits.max_nesting = 16;
    limits.max_nodes = 2000;
    limits.max_list_strings = 64;

    auto compiled = compile(text, limits);
    if (auto* error = std::get_if<Error>(&compiled)) {
        auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
        FUZZ_CHECK(error->position.line >= 1 && error->position.line <= lines);
        FUZZ_CHECK(error->position.column >= 1);
        FUZZ_CHECK(!error->message.empty());
        return 0;
    }
    auto parsed = parse(text, limits);
    FUZZ_CHECK(std::holds_alternative<Script>(parsed));
    FUZZ_CHECK(count_nodes(std::get<Script>(parsed).commands) <= limits.max_nodes);
    return 0;
}
