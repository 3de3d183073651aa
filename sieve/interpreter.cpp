#include "sieve/interpreter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/util/strings.hpp"
#include "sieve/run.hpp"
#include "sieve/validator.hpp"

namespace pochta::sieve {

namespace {

// RFC 3501 system flags, in the spelling IMAP uses.
constexpr std::array<std::string_view, 5> system_flags{"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};

std::string canonical_flag(std::string_view flag) {
    for (std::string_view system : system_flags)
        if (iequals(system, flag)) return std::string(system);
    return std::string(flag);
}

}  // namespace

std::vector<std::string> flag_words(const std::vector<std::string>& strings) {
    std::vector<std::string> flags;
    for (const std::string& s : strings)
        for (std::string_view word : split_words(s)) {
            std::string flag = canonical_flag(word);
            if (std::none_of(flags.begin(), flags.end(), [&](const std::string& f) { return iequals(f, flag); }))
                flags.push_back(std::move(flag));
        }
    return flags;
}

std::string join_flags(const std::vector<std::string>& flags) {
    std::string out;
    for (const std::string& flag : flags) out += (out.empty() ? "" : " ") + flag;
    return out;
}

Run::Run(const Message& message, const Context& context, const Budget& budget)
    : message_(message), context_(context), budget_(budget) {}

Result Run::finish(const Script& script) {
    Frame top{script, Variables(globals_)};
    frames_.push_back(&top);
    try {
        commands(top, script.commands);
    } catch (const RunFailure& failure) {
        // RFC 5228 2.10.6: after an error the message is kept as it came.
        result_.status = failure.status;
        result_.error = fmt::format("{}:{}: {}", failure.position.line, failure.position.column, failure.reason);
        result_.actions.clear();
        result_.duplicate_marks.clear();
        implicit_keep_ = true;
        flags_.clear();
        edited_ = false;
    }
    frames_.clear();
    bool in_inbox = std::any_of(result_.actions.begin(), result_.actions.end(), [](const Action& a) {
        const auto* f = std::get_if<FileInto>(&a);
        return std::holds_alternative<Keep>(a) || (f && f->mailbox == "INBOX");
    });
    if (implicit_keep_ && !in_inbox) result_.actions.push_back(Keep{flags_, true});
    result_.header_edited = edited_;
    if (edited_) result_.header = std::move(edited_header_);
    return std::move(result_);
}

std::string Run::expand(Frame& frame, const std::string& text) {
    if (!frame.script.variables || text.find("${") == std::string::npos) return text;
    std::optional<std::string> expanded = frame.variables.expand(text, budget_.max_string);
    if (!expanded) throw RunFailure{Status::budget, position_, "string too large"};
    return std::move(*expanded);
}

std::vector<std::string> Run::expand_all(Frame& frame, const Argument& arg) {
    std::vector<std::string> out;
    out.reserve(arg.strings.size());
    for (const std::string& s : arg.strings) out.push_back(expand(frame, s));
    return out;
}

void Run::step(const Node& node, uint64_t count) {
    position_ = node.position;
    result_.steps += count;
    if (result_.steps > budget_.max_steps) throw RunFailure{Status::budget, node.position, "instruction budget spent"};
}

void Run::check_memory(const Node& node) {
    size_t bytes = action_bytes_;
    for (const Frame* frame : frames_) bytes += frame->variables.bytes();
    for (const auto& [name, value] : globals_) bytes += name.size() + value.size();
    if (edited_)
        for (const HeaderField& field : edited_header_) bytes += field.raw.size();
    if (bytes > budget_.max_memory) throw RunFailure{Status::budget, node.position, "memory budget spent"};
}

void Run::error(const Node& node, std::string reason) { throw RunFailure{Status::error, node.position, std::move(reason)}; }

std::variant<std::shared_ptr<const Script>, Error> compile(std::string_view source, const ParseLimits& limits) {
    auto parsed = parse(source, limits);
    if (auto* error = std::get_if<Error>(&parsed)) return *error;
    auto script = std::make_shared<Script>(std::move(std::get<Script>(parsed)));
    if (auto error = validate(*script)) return *error;
    return std::shared_ptr<const Script>(std::move(script));
}

Result run(const Script& script, const Message& message, const Context& context, const Budget& budget) {
    return Run(message, context, budget).finish(script);
}

}  // namespace pochta::sieve
