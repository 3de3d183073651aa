#include "common/auth/address_syntax.hpp"

#include <cstring>

#include "common/config/config.hpp"
#include "common/util/strings.hpp"

namespace pochta::auth {

namespace {

bool is_atext(unsigned char c) {
    if (c >= 0x80) return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

}  // namespace

bool is_valid_local_part(std::string_view local) {
    if (local.empty() || local.size() > 64) return false;
    if (local.front() == '.' || local.back() == '.') return false;
    for (size_t i = 0; i < local.size(); i++) {
        unsigned char c = static_cast<unsigned char>(local[i]);
        if (c == '.') {
            if (local[i - 1] == '.') return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

std::optional<AddressParts> split_address(std::string_view address) {
    size_t at = address.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    AddressParts parts{address.substr(0, at), address.substr(at + 1)};
    if (!is_valid_local_part(parts.local) || !is_valid_hostname(parts.domain)) return std::nullopt;
    return parts;
}

std::string canonical_address(const AddressParts& parts) {
    std::string out(parts.local);
    out += '@';
    out += to_lower(parts.domain);
    return out;
}

}  // namespace pochta::auth
