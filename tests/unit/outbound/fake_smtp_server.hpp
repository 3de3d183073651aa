// A scripted SMTP server for the client tests: a thread with a listening
// socket on 127.0.0.1 that runs a script against one connection and keeps
// every byte the client sent, so tests can check them exactly.
#pragma once

#include "tests/unit/support/self_signed_cert.hpp"

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace pochta::outbound::test {

// The server end of one connection, used by the script (on the server thread).
class Peer {
public:
    explicit Peer(int fd) : fd_(fd) {}
    ~Peer();
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    void send(const std::string& text);
    // One line including CRLF; "" on EOF or after `timeout_ms`.
    std::string line(int timeout_ms = 5000);
    // Reads until `end` was received (included); "" on EOF/timeout.
    std::string until(const std::string& end, int timeout_ms = 5000);
    std::string bytes(size_t n, int timeout_ms = 5000);
    // True when nothing arrives within `ms` (the client is waiting for us).
    bool quiet(int ms = 150);
    // Greets, reads the EHLO line and answers it with these keywords.
    void greet(const std::vector<std::string>& keywords);
    void reply_ehlo(const std::vector<std::string>& keywords);
    // Server side TLS handshake (after "220 go ahead").
    bool start_tls(const std::filesystem::path& cert, const std::filesystem::path& key);
    void close();

    std::string transcript;   // everything received, in order (plaintext, also under TLS)
    bool tls = false;

private:
    bool fill(int timeout_ms);
    int fd_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    std::string pending_;
};

class FakeServer {
public:
    using Script = std::function<void(Peer&)>;
    explicit FakeServer(Script script);
    ~FakeServer();
    uint16_t port() const { return port_; }
    // True once the script returned.
    bool finished() const { return finished_; }
    // Waits for the script, then returns what the client sent.
    std::string transcript();
    // Notes from the script (e.g. "client pipelined"), for checks.
    std::string notes();
    void note(const std::string& text);

private:
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> finished_{false};
    std::mutex mutex_;
    std::string transcript_, notes_;
    std::thread thread_;
};

// A self-signed certificate (CN=mx.test) in a temporary folder.
struct TestCert : pochta::tls_test::SelfSignedCert {
    TestCert() : SelfSignedCert("mx.test") {}
};

}  // namespace pochta::outbound::test
