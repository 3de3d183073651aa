// Fuzzes the vacation rules and reply (smtp/vacation_rules.hpp,
// smtp/vacation_reply.hpp): the first line is the envelope sender, the
// second the :subject, the rest the header of the message answered (and
// the reason). Beyond "no crash": the reply's header lines all end in
// CRLF, are at most 998 octets (RFC 5322 2.1.1), and each is one of the
// fields the reply writes or a fold of one: no input adds a field.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/util/strings.hpp"
#include "smtp/vacation_reply.hpp"
#include "smtp/vacation_rules.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;
using namespace pochta::smtp;

namespace {

std::string_view next_line(std::string_view& input) {
    const size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    return line;
}

bool is_reply_field(std::string_view line) {
    for (std::string_view name : {"From:", "To:", "Subject:", "Date:", "Message-ID:", "In-Reply-To:", "References:",
                                  "Auto-Submitted:", "MIME-Version:", "Content-Type:", "Content-Transfer-Encoding:"})
        if (line.starts_with(name)) return true;
    return line.starts_with(" ");
}

void check_header(const std::string& message) {
    const size_t end = message.find("\r\n\r\n");
    FUZZ_CHECK(end != std::string::npos);
    std::string_view header(message.data(), end + 2);
    while (!header.empty()) {
        const size_t eol = header.find("\r\n");
        FUZZ_CHECK(eol != std::string_view::npos && eol <= 998);
        std::string_view line = header.substr(0, eol);
        FUZZ_CHECK(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
        FUZZ_CHECK(is_reply_field(line));
        header.remove_prefix(eol + 2);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string sender(next_line(input));
    const std::string subject(next_line(input));
    const IncomingHeader header = read_incoming_header(input);
    FUZZ_CHECK(header.recipients.size() <= max_vacation_recipients);
    FUZZ_CHECK(header.subject.size() <= max_vacation_field && header.references.size() <= max_vacation_field);
    auto own = [](std::string_view address) { return iequals(address, "alice@example.org"); };
    (void)no_reply_reason(sender, header, own);

    VacationReply reply;
    reply.from = "alice@example.org";
    reply.to = printable_prefix(sender, 256);
    reply.subject = subject;
    reply.reason = std::string(input);
    reply.date = "Tue, 08 Dec 2026 10:00:00 +0000";
    reply.message_id = "<fuzz@mail.example.org>";
    check_header(compose_vacation_reply(reply, header));
    reply.mime = true;  // the entity's own header is the user's: only its end is checked
    FUZZ_CHECK(compose_vacation_reply(reply, header).find("\r\n\r\n") != std::string::npos);
    return 0;
}
