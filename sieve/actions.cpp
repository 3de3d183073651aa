#include "sieve/actions.hpp"

#include "common/util/log.hpp"

namespace pochta::sieve {

namespace {

std::string flags_text(const std::vector<std::string>& flags) {
    std::string out;
    for (const std::string& flag : flags) out += (out.empty() ? " flags=" : ",") + flag;
    return out;
}

std::string quoted(std::string_view text) { return log::quoted(text); }

}  // namespace

bool Result::delivers() const {
    for (const Action& action : actions)
        if (std::holds_alternative<Keep>(action) || std::holds_alternative<FileInto>(action)) return true;
    return false;
}

std::string describe(const Action& action) {
    struct Describe {
        std::string operator()(const Keep& a) const { return "keep" + flags_text(a.flags); }
        std::string operator()(const FileInto& a) const {
            return "fileinto " + quoted(a.mailbox) + (a.create ? " create" : "") + (a.copy ? " copy" : "") +
                   flags_text(a.flags);
        }
        std::string operator()(const Redirect& a) const { return "redirect " + quoted(a.address) + (a.copy ? " copy" : ""); }
        std::string operator()(const Discard&) const { return "discard"; }
        std::string operator()(const Reject& a) const { return (a.extended ? "ereject " : "reject ") + quoted(a.reason); }
        std::string operator()(const Vacation& a) const {
            std::string addresses;
            for (const std::string& address : a.addresses) addresses += (addresses.empty() ? "" : ",") + address;
            return "vacation seconds=" + std::to_string(a.seconds) + " subject=" + quoted(a.subject) +
                   " from=" + quoted(a.from) + " handle=" + quoted(a.handle) + (a.mime ? " mime" : "") +
                   " addresses=" + quoted(addresses) + " reason=" + quoted(a.reason);
        }
    };
    return std::visit(Describe{}, action);
}

}  // namespace pochta::sieve
