// The optional rspamd client (README.md, "Spam"): each message arriving
// on the MX listener is POSTed to rspamd's /checkv2 with the envelope in
// headers; its action and header changes are applied. rspamd down, slow
// or answering nonsense never holds mail back: the message goes on
// without it (fail open) and the log says why.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/net/loop.hpp"

namespace pochta::spam {

struct RspamdEnvelope {
    std::string from;                 // MAIL FROM, "" for <>
    std::vector<std::string> rcpts;
    std::string ip;
    std::string helo;
    std::string queue_id;
    std::string hostname;             // ours (MTA-Name)
};

// The request line and headers of the POST, for a body of `body_size` bytes.
std::string rspamd_request_head(const RspamdEnvelope& envelope, std::string_view host, size_t body_size);

enum class RspamdAction { no_action, greylist, add_header, rewrite_subject, soft_reject, reject };

struct RspamdResult {
    RspamdAction action = RspamdAction::no_action;
    double score = 0;
    std::string action_name;                                   // as rspamd wrote it
    std::vector<std::pair<std::string, std::string>> add_headers;  // milter.add_headers, name and value
    struct Removal {
        std::string name;
        int occurrence = 0;   // 0: every field of that name; n > 0: the n-th; n < 0: the n-th from the end
    };
    std::vector<Removal> remove_headers;                       // milter.remove_headers
    std::string subject;                                       // rewrite subject: the new Subject
};

// nullopt when the JSON is not an rspamd answer (no known action).
std::optional<RspamdResult> parse_rspamd_answer(std::string_view json);

// Header fields from rspamd that may be written into a message: a name of
// letters, digits and '-', a value without CR or LF (folded lines are
// joined). Others are dropped.
std::optional<std::string> header_field(std::string_view name, std::string_view value);

// Asks rspamd at `url` ("http://ip:port") about `message` (copied at
// once). `done` runs on the loop, never inside the call: the result, or
// nullopt with `why` filled, after at most `timeout`.
void ask_rspamd(net::EventLoop& loop, const std::string& url, std::chrono::milliseconds timeout,
                const RspamdEnvelope& envelope, std::string_view message,
                std::function<void(std::optional<RspamdResult>, std::string why)> done);

}  // namespace pochta::spam
