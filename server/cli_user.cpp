// `pochta user ...`: argument handling and password input; the file edits
// live in common/auth/users_file.cpp.
#include "server/cli_user.hpp"

#include <iostream>
#include <optional>
#include <stdexcept>

#include "common/auth/users_file.hpp"
#include "common/util/strings.hpp"

namespace pochta {

namespace {

constexpr size_t max_password_bytes = 1024;

const char* const usage_text =
    "usage: pochta user add ADDRESS -c FILE      (password on the first line of stdin)\n"
    "       pochta user passwd ADDRESS -c FILE   (password on the first line of stdin)\n"
    "       pochta user del ADDRESS [--purge] -c FILE\n"
    "       pochta user list -c FILE\n";

struct Parsed {
    std::string command;
    std::string address;
    bool purge = false;
};

// nullopt: wrong usage.
std::optional<Parsed> parse_args(const std::vector<std::string>& args) {
    if (args.empty()) return std::nullopt;
    Parsed p;
    p.command = args[0];
    std::vector<std::string> positional;
    for (size_t i = 1; i < args.size(); i++) {
        if (args[i] == "--purge" && p.command == "del")
            p.purge = true;
        else if (!args[i].empty() && args[i][0] == '-')
            return std::nullopt;
        else
            positional.push_back(args[i]);
    }
    if (p.command == "list") return positional.empty() ? std::optional(p) : std::nullopt;
    if (p.command != "add" && p.command != "passwd" && p.command != "del") return std::nullopt;
    if (positional.size() != 1) return std::nullopt;
    p.address = positional[0];
    return p;
}

// The first line of `in` without "\n" or "\r\n". Throws with a reason.
std::string read_password(std::istream& in) {
    std::string line;
    char c;
    bool got_any = false;
    while (in.get(c)) {
        got_any = true;
        if (c == '\n') break;
        if (line.size() >= max_password_bytes + 1) throw std::runtime_error("password longer than 1024 bytes");
        line.push_back(c);
    }
    if (!got_any) throw std::runtime_error("no password on standard input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw std::runtime_error("empty password");
    if (line.size() > max_password_bytes) throw std::runtime_error("password longer than 1024 bytes");
    return line;
}

// The address as the users file spells it, so the store sees the same owner
// name that delivery used.
std::string stored_address(const Config& config, const std::string& address) {
    for (const auto& user : auth::list_users(config))
        if (iequals(user, address)) return user;
    return address;
}

int run(const Parsed& p, const Config& config, const std::function<void(const std::string&)>& purge_mail,
        std::istream& in, std::ostream& out, std::ostream& err) {
    if (p.command == "list") {
        for (const auto& user : auth::list_users(config)) out << user << '\n';
        return 0;
    }
    if (p.command == "add") {
        auth::add_user(config, p.address, read_password(in));
        return 0;
    }
    if (p.command == "passwd") {
        auth::change_password(config, p.address, read_password(in));
        return 0;
    }
    std::string owner = stored_address(config, p.address);
    auth::delete_user(config, p.address);
    if (p.purge && purge_mail) {
        try {
            purge_mail(owner);
        } catch (const std::exception& e) {
            err << "user " << owner << " was removed, but purging the mail failed: " << e.what() << '\n';
            return 1;
        }
    }
    return 0;
}

}  // namespace

int run_user_command(const std::vector<std::string>& args, const Config& config,
                     const std::function<void(const std::string& user)>& purge_mail, std::istream& in,
                     std::ostream& out, std::ostream& err) {
    auto parsed = parse_args(args);
    if (!parsed) {
        err << usage_text;
        return 2;
    }
    try {
        return run(*parsed, config, purge_mail, in, out, err);
    } catch (const std::exception& e) {
        err << e.what() << '\n';
        return 1;
    }
}

int run_user_command(const std::vector<std::string>& args, const Config& config,
                     const std::function<void(const std::string& user)>& purge_mail) {
    return run_user_command(args, config, purge_mail, std::cin, std::cout, std::cerr);
}

}  // namespace pochta
