// The message as the outbound client puts it on the wire, and what the
// message needs from the receiving server (8BITMIME, SMTPUTF8).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::outbound {

struct MessageNeeds {
    bool eight_bit = false;   // octets >= 0x80 anywhere: BODY=8BITMIME (RFC 6152)
    bool smtputf8 = false;    // a non-ASCII address: SMTPUTF8 (RFC 6531)
};

MessageNeeds analyze_message(std::string_view from, const std::vector<std::string>& recipients,
                             std::string_view data);

// DATA encoding (RFC 5321 4.5.2), produced block by block so that a large
// message is never copied whole into the output queue: every line ending
// becomes CRLF (a bare CR or LF is never sent, which also closes the "SMTP
// smuggling" gap of a lone LF before a dot), a leading dot is doubled, a
// missing final line ending is added, and ".\r\n" ends it.
class DataEncoder {
public:
    explicit DataEncoder(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}

    // Encodes up to `max_input` more octets of the message; the block that
    // finishes the message also carries the terminating ".\r\n".
    std::string next(size_t max_input);
    bool done() const { return finished_; }

private:
    std::shared_ptr<const std::string> data_;
    size_t pos_ = 0;
    bool line_start_ = true;
    bool after_cr_ = false;
    bool finished_ = false;
};

// The whole DATA payload at once (tests, small messages).
std::string encode_data(std::string_view message);

}  // namespace pochta::outbound
