#include "imap/crlf.hpp"

namespace pochta::imap {

std::string to_crlf(std::string_view data) {
    std::string out;
    out.reserve(data.size() + data.size() / 32);
    for (size_t i = 0; i < data.size(); i++) {
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) out += '\r';
        out += data[i];
    }
    return out;
}

}  // namespace pochta::imap
