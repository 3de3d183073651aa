// Fuzzes Sieve evaluation (sieve/interpreter). The input is a script and a
// message separated by the first NUL byte (no NUL: the script alone, run on
// a fixed message). A script that compiles runs under a small budget with a
// context that answers everything (includes name the script itself).
// Checks: the run ends (ok, error or budget) within its step budget, an
// error leaves exactly the implicit keep, every result keeps the message
// somewhere or says why not, and no action is empty.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "sieve/interpreter.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::sieve;

namespace {

constexpr std::string_view fixed_message =
    "From: \"A\" <a+tag@example.org>\r\nTo: b@example.test, c@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <x@y>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nhello body\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--b--\r\n";

void check_action(const Action& action) {
    if (const auto* r = std::get_if<Redirect>(&action)) FUZZ_CHECK(r->address.find('@') != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t nul = input.find('\0');
    std::string_view script_text = input.substr(0, nul);
    std::string_view message_text = nul == std::string_view::npos ? fixed_message : input.substr(nul + 1);

    ParseLimits limits;
    limits.max_script_bytes = 64 * 1024;
    auto compiled = compile(script_text, limits);
    if (!std::holds_alternative<std::shared_ptr<const Script>>(compiled)) return 0;
    auto script = std::get<std::shared_ptr<const Script>>(compiled);

    Context context;
    context.envelope = {"sender@example.org", "rcpt+box@example.test", ""};
    context.environment = {{"name", "pochta"}, {"phase", "during"}};
    context.spam_score = 5;
    context.now = 1700000000;
    context.mailbox_exists = [](std::string_view name) { return name.size() % 2 == 0; };
    context.seen_before = [](const DuplicateCheck& check) { return check.id.size() % 2 == 0; };
    context.include = [&](IncludeLocation, std::string_view) { return script; };
    Budget budget;
    budget.max_steps = 20000;
    budget.max_memory = 256 * 1024;
    budget.max_string = 16 * 1024;

    Message message(message_text);
    Result result = run(*script, message, context, budget);
    FUZZ_CHECK(result.steps <= budget.max_steps + 1);
    if (result.status != Status::ok) {
        FUZZ_CHECK(!result.error.empty());
        FUZZ_CHECK(result.actions.size() == 1 && std::holds_alternative<Keep>(result.actions[0]));
    }
    FUZZ_CHECK(result.actions.size() <= budget.max_actions + 1);
    bool accounted = result.delivers();
    for (const Action& action : result.actions) {
        check_action(action);
        accounted = accounted || std::holds_alternative<Discard>(action) || std::holds_alternative<Redirect>(action) ||
                    std::holds_alternative<Reject>(action);
    }
    FUZZ_CHECK(accounted);
    return 0;
}
