#include "lists/list_address.hpp"

#include <array>
#include <utility>

namespace pochta::lists {

namespace {

struct Word {
    ListCommand command;
    std::string_view name;
    bool takes_argument;
};

constexpr std::array<Word, 7> words{{
    {ListCommand::subscribe, "subscribe", false},
    {ListCommand::unsubscribe, "unsubscribe", false},
    {ListCommand::owner, "owner", false},
    {ListCommand::confirm, "confirm", true},
    {ListCommand::approve, "approve", true},
    {ListCommand::reject, "reject", true},
    {ListCommand::bounce, "bounce", true},
}};

constexpr size_t max_local = 64;  // RFC 5321 4.5.3.1.1

// Local part and domain of an address (split at its last '@').
std::pair<std::string_view, std::string_view> split_address(std::string_view s) {
    auto at = s.rfind('@');
    if (at == std::string_view::npos) return {s, {}};
    return {s.substr(0, at), s.substr(at + 1)};
}

}  // namespace

std::string_view command_name(ListCommand command) {
    if (command == ListCommand::post) return "post";
    for (const auto& w : words)
        if (w.command == command) return w.name;
    return "post";
}

std::optional<ListCommand> command_named(std::string_view name) {
    if (name == "post") return ListCommand::post;
    for (const auto& w : words)
        if (w.name == name) return w.command;
    return std::nullopt;
}

std::optional<ListAddress> parse_list_command(std::string_view local) {
    if (local.empty() || local.size() > max_local) return std::nullopt;
    // Argument commands only after '+': LIST+approve-TOKEN. The plain ones
    // after the last '-' or '+': LIST-subscribe, LIST+subscribe.
    if (auto plus = local.find('+'); plus != std::string_view::npos && plus > 0) {
        std::string_view rest = local.substr(plus + 1);
        for (const auto& w : words) {
            if (w.takes_argument) {
                if (rest.size() > w.name.size() + 1 && rest.substr(0, w.name.size()) == w.name &&
                    rest[w.name.size()] == '-')
                    return ListAddress{std::string(local.substr(0, plus)), w.command,
                                       std::string(rest.substr(w.name.size() + 1))};
            } else if (rest == w.name) {
                return ListAddress{std::string(local.substr(0, plus)), w.command, {}};
            }
        }
        return std::nullopt;
    }
    auto dash = local.rfind('-');
    if (dash == std::string_view::npos || dash == 0) return std::nullopt;
    std::string_view word = local.substr(dash + 1);
    for (const auto& w : words)
        if (!w.takes_argument && word == w.name) return ListAddress{std::string(local.substr(0, dash)), w.command, {}};
    return std::nullopt;
}

std::string verp_address(std::string_view list, std::string_view member) {
    auto [member_local, member_domain] = split_address(member);
    return command_address(list, ListCommand::bounce, std::string(member_local) + "=" + std::string(member_domain));
}

std::string verp_member(std::string_view argument) {
    auto eq = argument.rfind('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == argument.size()) return {};
    return std::string(argument.substr(0, eq)) + "@" + std::string(argument.substr(eq + 1));
}

std::string command_address(std::string_view list, ListCommand command, std::string_view argument) {
    auto [local, domain] = split_address(list);
    std::string out(local);
    if (command != ListCommand::post) {
        out += argument.empty() ? "-" : "+";
        out += command_name(command);
        if (!argument.empty()) out += "-" + std::string(argument);
    }
    return out + "@" + std::string(domain);
}

}  // namespace pochta::lists
