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
    while (pos_ < end) {
        char c = data[pos_];
        if (c == '\n') {
            out += after_cr_ ? "\n" : "\r\n";
            after_cr_ = false;
            line_start_ = true;
            pos_++;
            continue;
        }
        if (after_cr_) {   // a CR not followed by LF ends a line too
            out += '\n';
            line_start_ = true;
            after_cr_ = false;
        }
        if (c == '\r') {
            out += '\r';
            after_cr_ = true;
            line_start_ = false;
            pos_++;
            continue;
        }
        if (c == '.' && line_start_) out += '.';
        // The rest of the line up to its CR or LF is copied as one run.
        size_t run_end = pos_ + 1;
        while (run_end < end && data[run_end] != '\n' && data[run_end] != '\r') run_end++;
        out.append(data, pos_, run_end - pos_);
        pos_ = run_end;
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
