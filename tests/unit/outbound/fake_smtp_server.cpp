#include "tests/unit/outbound/fake_smtp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace pochta::outbound::test {

Peer::~Peer() { close(); }

void Peer::close() {
    if (ssl_) {
        SSL_shutdown(ssl_);
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    if (ctx_) {
        SSL_CTX_free(ctx_);
        ctx_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void Peer::send(const std::string& text) {
    if (fd_ < 0) return;
    if (ssl_) {
        SSL_write(ssl_, text.data(), static_cast<int>(text.size()));
        return;
    }
    size_t off = 0;
    while (off < text.size()) {
        ssize_t n = ::send(fd_, text.data() + off, text.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

// Appends whatever arrives within the timeout; false on EOF or timeout.
bool Peer::fill(int timeout_ms) {
    if (fd_ < 0) return false;
    if (!ssl_ || SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
    }
    char buf[16384];
    int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    transcript.append(buf, static_cast<size_t>(n));
    return true;
}

std::string Peer::line(int timeout_ms) { return until("\n", timeout_ms); }

std::string Peer::until(const std::string& end, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (auto pos = pending_.find(end); pos != std::string::npos) {
            std::string out = pending_.substr(0, pos + end.size());
            pending_.erase(0, pos + end.size());
            return out;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !fill(static_cast<int>(left.count()))) return "";
    }
}

std::string Peer::bytes(size_t n, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (pending_.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !fill(static_cast<int>(left.count()))) return "";
    }
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
}

bool Peer::quiet(int ms) { return pending_.empty() && !fill(ms); }

void Peer::greet(const std::vector<std::string>& keywords) {
    send("220 mx.test ESMTP fake\r\n");
    line();
    reply_ehlo(keywords);
}

void Peer::reply_ehlo(const std::vector<std::string>& keywords) {
    std::string out = keywords.empty() ? "250 mx.test\r\n" : "250-mx.test\r\n";
    for (size_t i = 0; i < keywords.size(); i++) out += (i + 1 == keywords.size() ? "250 " : "250-") + keywords[i] + "\r\n";
    send(out);
}

bool Peer::start_tls(const std::filesystem::path& cert, const std::filesystem::path& key) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str()) != 1) return false;
    if (SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1) return false;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    pending_.clear();
    if (SSL_accept(ssl_) != 1) return false;
    tls = true;
    transcript += "<TLS>";
    return true;
}

FakeServer::FakeServer(Script script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 4) != 0)
        throw std::runtime_error("fake server: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 10000) > 0) {
            Peer peer(::accept(listen_fd_, nullptr, nullptr));
            script(peer);
            std::lock_guard lock(mutex_);
            transcript_ = peer.transcript;
        }
        finished_ = true;
    });
}

FakeServer::~FakeServer() {
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
}

std::string FakeServer::transcript() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return transcript_;
}

std::string FakeServer::notes() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return notes_;
}

void FakeServer::note(const std::string& text) {
    std::lock_guard lock(mutex_);
    notes_ += text + ";";
}

}  // namespace pochta::outbound::test
