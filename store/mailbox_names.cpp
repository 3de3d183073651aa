#include "store/mailbox_names.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "store/store.hpp"

namespace pochta::store {

bool is_inbox(std::string_view name) { return iequals(name, "INBOX"); }

std::string canonical_mailbox_name(std::string_view name) {
    return is_inbox(name) ? std::string("INBOX") : std::string(name);
}

void check_mailbox_name(std::string_view name) {
    if (name.empty()) throw StoreError("empty mailbox name", ErrorKind::invalid);
    if (name.size() > max_mailbox_name_length)
        throw StoreError(fmt::format("mailbox name longer than {} bytes", max_mailbox_name_length),
                         ErrorKind::invalid);
    if (name.find('\0') != std::string_view::npos) throw StoreError("mailbox name contains NUL", ErrorKind::invalid);
    if (name.front() == '/' || name.back() == '/')
        throw StoreError("mailbox name starts or ends with the hierarchy delimiter", ErrorKind::invalid);
    if (name.find("//") != std::string_view::npos)
        throw StoreError("mailbox name has an empty level", ErrorKind::invalid);
}

bool is_inferior(std::string_view name, std::string_view parent) {
    return name.size() > parent.size() + 1 && name.substr(0, parent.size()) == parent &&
           name[parent.size()] == '/';
}

std::string inferiors_low(std::string_view parent) { return std::string(parent) + '/'; }

std::string inferiors_high(std::string_view parent) {
    static_assert('/' + 1 == '0');
    return std::string(parent) + '0';
}

}  // namespace pochta::store
