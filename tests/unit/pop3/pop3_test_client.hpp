// A blocking POP3 client for the session tests (the loop runs on another
// thread), and a fixture with a real store, loop and listener on 127.0.0.1.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/auth/login_throttle.hpp"
#include "common/net/loop.hpp"
#include "common/util/strings.hpp"
#include "common/net/server.hpp"
#include "pop3/session.hpp"
#include "store/async_store.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

namespace pochta::pop3::test {

inline const std::string alice = "alice@example.test";
inline const std::string bob = "bob@example.test";
inline const std::string password = "secret";

class Client {
public:
    explicit Client(uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~Client() { close(); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    bool connected() const { return fd_ >= 0; }

    void send(std::string_view data) {
        while (!data.empty() && fd_ >= 0) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            data.remove_prefix(static_cast<size_t>(n));
        }
    }
    // One line without its CRLF; "<eof>" or "<timeout>" otherwise.
    std::string line(int timeout_ms = 10000) {
        for (;;) {
            size_t end = buf_.find("\r\n");
            if (end != std::string::npos) {
                std::string out = buf_.substr(0, end);
                buf_.erase(0, end + 2);
                return out;
            }
            if (!fill(timeout_ms)) return eof_ ? "<eof>" : "<timeout>";
        }
    }
    std::string cmd(const std::string& command) {
        send(command + "\r\n");
        return line();
    }
    // The body of a multi-line reply, dot-unstuffed, each line with CRLF.
    std::string multiline() {
        std::string out;
        for (;;) {
            std::string l = line();
            if (l == "." || l == "<eof>" || l == "<timeout>") return out;
            if (!l.empty() && l[0] == '.') l.erase(0, 1);
            out += l + "\r\n";
        }
    }
    // Exactly `n` raw bytes (for byte-exact checks of the wire form).
    std::string raw(size_t n) {
        while (buf_.size() < n)
            if (!fill(10000)) break;
        std::string out = buf_.substr(0, n);
        buf_.erase(0, out.size());
        return out;
    }
    // True when the server closes within the time (nothing else arrives).
    bool closed(int timeout_ms = 5000) {
        while (fill(timeout_ms)) {
        }
        return eof_;
    }

private:
    bool fill(int timeout_ms) {
        if (fd_ < 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buf_.append(chunk, static_cast<size_t>(n));
        return true;
    }
    int fd_ = -1;
    bool eof_ = false;
    std::string buf_;
};

// A store with messages, a loop on its own thread and a pop3 listener.
struct Fixture {
    store::testing::TempDir dir;
    std::unique_ptr<store::Store> store = store::Store::open(dir.data());
    net::EventLoop loop;
    std::unique_ptr<store::AsyncStore> async = std::make_unique<store::AsyncStore>(loop, *store);
    auth::LoginThrottle throttle;
    SessionContext ctx{
        .hostname = "pop.example.test",
        .check_password = [](const std::string& user, const std::string& pass) -> std::string {
            if (pass != password) return {};
            if (iequals(user, alice)) return alice;
            if (iequals(user, bob)) return bob;
            return {};
        },
        .throttle = throttle,
        .store = *async,
        .tls = nullptr,
        .plaintext_auth = true,
    };
    std::unique_ptr<net::Server> server;
    uint16_t port = 0;
    std::thread runner;

    Fixture() = default;
    ~Fixture() { stop(); }

    void deliver(const std::string& user, std::string data) {
        store->deliver(store::testing::local_delivery({user}, std::move(data), random_hex(4)));
    }
    void start() {
        server = std::make_unique<net::Server>(loop, nullptr, 0, 0);
        server->add_listener(net::ListenerSpec{"pop3", ListenAddress{"127.0.0.1", 0, "127.0.0.1:0"}, false,
                                               [this](net::Connection&) { return std::make_unique<Session>(ctx); }});
        port = server->bound_port("pop3");
        runner = std::thread([this] { loop.run(); });
    }
    void stop() {
        if (!runner.joinable()) return;
        loop.stop();
        runner.join();
        server.reset();
        async.reset();
    }
    std::vector<store::MessageInfo> inbox(const std::string& user) {
        auto mailbox = store->find_mailbox(user, "INBOX");
        return mailbox ? store->list_messages(mailbox->id) : std::vector<store::MessageInfo>{};
    }
    std::unique_ptr<Client> login(const std::string& user = alice) {
        auto c = std::make_unique<Client>(port);
        c->line();
        c->cmd("USER " + user);
        c->cmd("PASS " + password);
        return c;
    }
};

}  // namespace pochta::pop3::test
