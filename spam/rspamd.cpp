// rspamd's HTTP protocol (README.md, "Spam"): the request, the bounded
// response reader, the answer, and one check over a connection of its own.
#include "spam/rspamd.hpp"

#include <fmt/format.h>

#include "common/net/connection.hpp"
#include "common/util/strings.hpp"
#include "common/util/http_response.hpp"
#include "common/util/json.hpp"

namespace pochta::spam {

namespace {

// Envelope values go into request headers: nothing that could end a line.
std::string header_safe(std::string_view value) { return printable_prefix(value, 512); }

}  // namespace

std::string rspamd_request_head(const RspamdEnvelope& e, std::string_view host, size_t body_size) {
    std::string head = fmt::format("POST /checkv2 HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
                                   host, body_size);
    head += fmt::format("From: {}\r\n", header_safe(e.from));
    for (const auto& rcpt : e.rcpts) head += fmt::format("Rcpt: {}\r\n", header_safe(rcpt));
    head += fmt::format("Ip: {}\r\nHelo: {}\r\nQueue-Id: {}\r\nMTA-Name: {}\r\n\r\n", header_safe(e.ip),
                        header_safe(e.helo), header_safe(e.queue_id), header_safe(e.hostname));
    return head;
}

namespace {

std::optional<RspamdAction> action_of(std::string_view name) {
    static const std::pair<std::string_view, RspamdAction> names[] = {
        {"no action", RspamdAction::no_action},         {"greylist", RspamdAction::greylist},
        {"add header", RspamdAction::add_header},       {"rewrite subject", RspamdAction::rewrite_subject},
        {"soft reject", RspamdAction::soft_reject},     {"reject", RspamdAction::reject},
    };
    for (const auto& [n, a] : names)
        if (n == name) return a;
    return std::nullopt;
}

// milter.add_headers values are a string, {"value": ..., "order": n}, or a list of those.
void add_header_values(const std::string& name, const JsonValue& value, RspamdResult& out) {
    if (value.kind == JsonValue::Kind::string) {
        out.add_headers.emplace_back(name, value.string);
    } else if (value.kind == JsonValue::Kind::object) {
        if (const JsonValue* v = value.find("value"); v && v->kind == JsonValue::Kind::string)
            out.add_headers.emplace_back(name, v->string);
    } else if (value.kind == JsonValue::Kind::array) {
        for (const auto& item : value.items)
            if (item.kind != JsonValue::Kind::array) add_header_values(name, item, out);
    }
}

}  // namespace

std::optional<RspamdResult> parse_rspamd_answer(std::string_view json) {
    auto doc = parse_json(json);
    if (!doc) return std::nullopt;
    const JsonValue* action = doc->find("action");
    if (!action || action->kind != JsonValue::Kind::string) return std::nullopt;
    auto known = action_of(action->string);
    if (!known) return std::nullopt;
    RspamdResult out;
    out.action = *known;
    out.action_name = action->string;
    if (const JsonValue* score = doc->find("score"); score && score->kind == JsonValue::Kind::number)
        out.score = score->number;
    if (const JsonValue* subject = doc->find("subject"); subject && subject->kind == JsonValue::Kind::string)
        out.subject = subject->string;
    if (const JsonValue* milter = doc->find("milter")) {
        if (const JsonValue* add = milter->find("add_headers"); add && add->kind == JsonValue::Kind::object)
            for (size_t i = 0; i < add->keys.size(); ++i) add_header_values(add->keys[i], add->items[i], out);
        if (const JsonValue* remove = milter->find("remove_headers"); remove && remove->kind == JsonValue::Kind::object)
            for (size_t i = 0; i < remove->keys.size(); ++i) {
                // The occurrence to remove: 0 all, n the n-th, -n the n-th from the end.
                const JsonValue& which = remove->items[i];
                const double n = which.kind == JsonValue::Kind::number ? which.number : 0;
                if (n >= -100 && n <= 100) out.remove_headers.push_back({remove->keys[i], static_cast<int>(n)});
            }
    }
    return out;
}

std::optional<std::string> header_field(std::string_view name, std::string_view value) {
    if (name.empty() || name.size() > 76) return std::nullopt;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return std::nullopt;
    std::string clean;
    for (char c : value.substr(0, 900)) {
        if (c == '\r' || c == '\n') c = ' ';
        if (c == '\0') return std::nullopt;
        clean += c;
    }
    return fmt::format("{}: {}\r\n", name, trim(clean));
}

namespace {

// One check: owns the connection's handler side and the deadline.
struct Check : std::enable_shared_from_this<Check> {
    std::function<void(std::optional<RspamdResult>, std::string)> done;
    std::string request;
    HttpResponseParser response;
    std::unique_ptr<net::EventLoop::Timer> deadline;
    std::weak_ptr<net::Connection> conn;

    void finish(std::optional<RspamdResult> result, std::string why) {
        if (!done) return;
        auto report = std::move(done);
        done = nullptr;
        deadline.reset();
        if (auto c = conn.lock(); c && !c->closing()) c->abort();
        report(std::move(result), std::move(why));
    }

    void on_response() {
        int status = response.response().status;
        if (status != 200) return finish(std::nullopt, fmt::format("HTTP status {}", status));
        auto result = parse_rspamd_answer(response.response().body);
        if (!result) return finish(std::nullopt, "the answer is not rspamd's JSON");
        finish(std::move(result), "");
    }
};

class CheckHandler : public net::Handler {
public:
    explicit CheckHandler(std::shared_ptr<Check> check) : check_(std::move(check)) {}
    void on_open(net::Connection&) override {}
    void on_input(net::Connection& conn) override {
        auto state = check_->response.feed(conn.input().view());
        conn.input().clear();
        if (state == HttpResponseParser::State::done) return check_->on_response();
        if (state == HttpResponseParser::State::failed) return check_->finish(std::nullopt, check_->response.error());
    }
    void on_timeout(net::Connection&) override { check_->finish(std::nullopt, "timed out"); }
    void on_closed(net::Connection&) override {
        if (check_->response.finish() == HttpResponseParser::State::done) return check_->on_response();
        check_->finish(std::nullopt, check_->response.error());
    }

private:
    std::shared_ptr<Check> check_;
};

}  // namespace

void ask_rspamd(net::EventLoop& loop, const std::string& url, std::chrono::milliseconds timeout,
                const RspamdEnvelope& envelope, std::string_view message,
                std::function<void(std::optional<RspamdResult>, std::string why)> done) {
    auto check = std::make_shared<Check>();
    check->done = std::move(done);
    std::string authority = url.substr(url.find("//") + 2);
    if (!authority.empty() && authority.back() == '/') authority.pop_back();
    size_t colon = authority.rfind(':');
    std::string host = authority.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto port = parse_uint(std::string_view(authority).substr(colon + 1));
    check->request = rspamd_request_head(envelope, authority, message.size());
    check->request.append(message);
    check->deadline = loop.start_timer(timeout, [check] { check->finish(std::nullopt, "timed out"); });
    net::Connection::connect(loop, host, static_cast<uint16_t>(port.value_or(0)), timeout,
                             [check](std::shared_ptr<net::Connection> conn, std::string error) {
                                 if (!check->done) {
                                     if (conn) conn->abort();
                                     return;
                                 }
                                 if (!conn) return check->finish(std::nullopt, "connect: " + error);
                                 check->conn = conn;
                                 conn->set_handler(std::make_unique<CheckHandler>(check));
                                 conn->start();
                                 conn->write(check->request);
                                 check->request.clear();
                             });
}

}  // namespace pochta::spam
