// APPEND (RFC 3501 6.3.11) with flags, date-time and APPENDUID (UIDPLUS),
// and MULTIAPPEND (RFC 3502): several messages in one command, stored all
// together or not at all.
// The message is stored byte for byte as given. LITERAL+ literals and the
// size check before the "+" come from the parser and on_continuation(); a
// literal over 128 KiB is read into a spool, not memory (README.md,
// "Spooling"; literal_sink() below).
#include <fmt/format.h>

#include <ctime>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/flags.hpp"
#include "imap/session.hpp"
#include "imap/spooled_literal.hpp"
#include "imap/store_outcome.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {
namespace {

// "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded); unix seconds.
std::optional<int64_t> parse_date_time(std::string_view s) {
    static const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
    auto num = [](std::string_view t) -> std::optional<int> {
        auto v = parse_uint(t);
        if (!v || *v > 100000) return std::nullopt;
        return static_cast<int>(*v);
    };
    std::string text(s);
    if (!text.empty() && text[0] == ' ') text.erase(0, 1);     // space-padded day
    if (text.size() == 25 && text[1] == '-') text.insert(0, "0");  // one-digit day
    if (text.size() != 26) return std::nullopt;
    if (text[2] != '-' || text[6] != '-' || text[11] != ' ' || text[14] != ':' || text[17] != ':' || text[20] != ' ')
        return std::nullopt;
    auto day = num(text.substr(0, 2)), year = num(text.substr(7, 4)), hour = num(text.substr(12, 2)),
         minute = num(text.substr(15, 2)), second = num(text.substr(18, 2)), zone = num(text.substr(22, 4));
    if (!day || !year || !hour || !minute || !second || !zone) return std::nullopt;
    int month = -1;
    for (int i = 0; i < 12; i++)
        if (iequals(text.substr(3, 3), months[i])) month = i;
    char sign = text[21];
    if (month < 0 || (sign != '+' && sign != '-') || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60 || *zone % 100 > 59)
        return std::nullopt;
    struct tm tm {};
    tm.tm_year = *year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    int64_t t = timegm(&tm);
    int64_t offset = (*zone / 100) * 3600 + (*zone % 100) * 60;
    return sign == '+' ? t - offset : t + offset;
}

}  // namespace

void Session::cmd_append(Command& cmd) {
    // RFC 6855 4: "UTF8 (~{n}...)" carries a message with UTF-8 headers;
    // unwrapped, it is an APPEND like any other.
    size_t n = cmd.args.size();
    if (n >= 3 && cmd.args[n - 2].is_atom() && iequals(cmd.args[n - 2].text, "UTF8")) {
        const Token& wrapped = cmd.args[n - 1];
        if (!wrapped.is_list() || wrapped.children.size() != 1 || !wrapped.children[0].binary)
            return bad("UTF8 needs a parenthesized ~{n} literal");
        Token message = wrapped.children[0];
        cmd.args.pop_back();
        cmd.args.back() = std::move(message);
    }
    if (cmd.args.size() < 2) return bad("APPEND needs a mailbox and a message");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    // MULTIAPPEND (RFC 3502): one or more of [flags] [date-time] literal.
    std::vector<PendingAppend> messages;
    for (size_t i = 1; i < cmd.args.size();) {
        store::AppendRequest request;
        if (cmd.args[i].is_list()) {
            std::string error;
            auto flags = parse_flags(cmd.args[i].children, error);
            if (!flags) return bad(error);
            request.flags = flags->flags;
            request.keywords = std::move(flags->keywords);
            i++;
        }
        if (i < cmd.args.size() && cmd.args[i].type == Token::Type::quoted) {
            auto date = parse_date_time(cmd.args[i].text);
            if (!date) return bad("Invalid date-time");
            request.internal_date = *date;
            i++;
        }
        if (i >= cmd.args.size() || cmd.args[i].type != Token::Type::literal)
            return bad("APPEND takes each message as a literal");
        Token& message = cmd.args[i++];
        if (message.size == 0) return no("Empty message");
        // RFC 9051 4.3 / RFC 3516 4.2: only a literal8 may carry NUL (the parser
        // notes one as the bytes go by, spooled or not).
        if (!message.binary && message.nul) return no("Message contains NUL; send it as a literal8 (~{n})");
        if (message.size > ctx_.max_message_size) return no("Message too big", "TOOBIG");
        request.user = user_;
        request.mailbox = *name;
        std::shared_ptr<store::SpoolStream> stream;
        if (auto* spooled = dynamic_cast<const SpooledLiteral*>(message.sink.get())) stream = spooled->stream();
        else request.data = std::move(message.text);
        messages.push_back(PendingAppend{std::move(request), std::move(stream)});
    }
    finish_spools(std::move(messages), 0, *name);
}

// A spooled message is made durable (fsync, off the loop) before the
// store links it in as its blob (README.md, "Spooling"); one spool after
// the other, then the store gets them all.
void Session::finish_spools(std::vector<PendingAppend> messages, size_t next, std::string target) {
    while (next < messages.size() && !messages[next].stream) next++;
    if (next == messages.size()) {
        std::vector<store::AppendRequest> requests;
        for (auto& m : messages) requests.push_back(std::move(m.request));
        return store_append(std::move(requests), std::move(target));
    }
    std::shared_ptr<store::SpoolStream> stream = messages[next].stream;
    stream->finish(ref().bind([messages = std::move(messages), next, stream, target = std::move(target)](
                                  Session& self, store::Error error) mutable {
        if (error) {
            log::error("imap user={} append spooling failed: {}", self.user_, error);
            return self.no(refusal_text("APPEND failed", error), response_code(error.kind));
        }
        messages[next].request.spool = stream->spool();
        messages[next].stream.reset();
        self.finish_spools(std::move(messages), next + 1, std::move(target));
    }));
}

void Session::store_append(std::vector<store::AppendRequest> requests, std::string target) {
    run_store<std::vector<store::AppendResult>>(
        [requests = std::move(requests)](store::Store& store) {
            store::refuse_archive_write(store, requests.front().user, requests.front().mailbox);
            if (requests.size() == 1) return std::vector<store::AppendResult>{store.append(requests[0])};
            return store.append_all(requests);
        },
        [target = std::move(target)](Session& self, std::vector<store::AppendResult> added, store::Error error) {
            if (error.kind == store::ErrorKind::nonexistent) return self.no("No such mailbox", "TRYCREATE");
            if (error || added.empty()) {
                log::warn("imap user={} append failed: {}", self.user_, error);
                return self.no(refusal_text("APPEND failed", error), response_code(error.kind));
            }
            std::vector<uint32_t> uids;
            for (const auto& a : added) uids.push_back(a.uid);
            std::string code = fmt::format("APPENDUID {} {}", added.front().uidvalidity, SeqSet::from_numbers(uids).str());
            // Into the selected mailbox: EXISTS goes out with the OK.
            if (self.selected_ && self.selected_->name == target)
                return self.refresh([&self, code] { self.ok("APPEND completed", code); });
            self.ok("APPEND completed", code);
        });
}

std::shared_ptr<LiteralSink> Session::literal_sink(const LiteralAnnouncement& literal) {
    if (literal.command != "APPEND" || literal.size <= store::spool_threshold) return nullptr;
    // Refused as TOOBIG when complete; its bytes are dropped meanwhile.
    if (literal.size > ctx_.max_message_size) return std::make_shared<SpooledLiteral>(nullptr);
    std::shared_ptr<store::SpoolStream> stream = ctx_.store.open_spool();
    spooling_ = stream;
    return std::make_shared<SpooledLiteral>(std::move(stream));
}

// The spool's writer is behind the client: reading stops until it caught
// up, so a fast client cannot queue the message in memory instead.
void Session::pause_while_spool_behind() {
    std::shared_ptr<store::SpoolStream> stream = spooling_.lock();
    if (!stream || spool_waiting_ || !stream->too_far_behind()) return;
    spool_waiting_ = true;
    stream->when_caught_up(ref().bind([](Session& self) {
        self.spool_waiting_ = false;
        self.process_input();
    }));
}

}  // namespace pochta::imap
