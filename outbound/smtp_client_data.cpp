#include "outbound/smtp_client_data.hpp"

#include <algorithm>

namespace pochta::outbound {
namespace {

bool non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace

MessageNeeds analyze_message(std::string_view from, const std::vector<std::string>& recipients,
                             std::string_view data) {
    MessageNeeds needs;
    needs.eight_bit = non_ascii(data);
    needs.smtputf8 = non_ascii(from) || std::any_of(recipients.begin(), recipients.end(),
                                                    [](const std::string& r) { return non_ascii(r); });
    return needs;
}

std::string DataEncoder::next(size_t max_input) {
    std::string out;
    if (finished_) return out;
    const std::string& data = *data_;
    size_t end = std::min(data.size(), pos_ + max_input);
    out.reserve(end - pos_ + (end - pos_) / 32 + 8);
    for (; pos_ < end; pos_++) {
        char c = data[pos_];
        if (c == '\n') {
            out += after_cr_ ? "\n" : "\r\n";
            after_cr_ = false;
            line_start_ = true;
            continue;
        }
        if (after_cr_) {   // a CR not followed by LF ends a line too
            out += '\n';
            line_start_ = true;
            after_cr_ = false;
        }
        if (c == '.' && line_start_) out += '.';
        out += c;
        after_cr_ = c == '\r';
        line_start_ = false;
    }
    if (pos_ < data.size()) return out;
    if (after_cr_) {
        out += '\n';
        line_start_ = true;
    }
    if (!line_start_) out += "\r\n";
    out += ".\r\n";
    finished_ = true;
    return out;
}

std::string encode_data(std::string_view message) {
    DataEncoder encoder(std::make_shared<const std::string>(message));
    return encoder.next(message.size());
}

}  // namespace pochta::outbound
