#include "tests/unit/support/fake_dns.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <sstream>
#include <stdexcept>

namespace pochta::dns::test {
namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

void put16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v >> 16));
    put16(out, static_cast<uint16_t>(v & 0xffff));
}

// Uncompressed wire form; "." and "" are the root.
std::string encode_name(const std::string& name) {
    std::string out;
    std::stringstream in(name);
    std::string label;
    while (std::getline(in, label, '.')) {
        if (label.empty()) continue;
        out.push_back(static_cast<char>(label.size()));
        out += label;
    }
    out.push_back('\0');
    return out;
}

std::string rdata(const FakeRecord& r) {
    std::string out;
    if (r.type == type_mx) {
        std::stringstream in(r.data);
        unsigned pref = 0;
        std::string host;
        in >> pref >> host;
        put16(out, static_cast<uint16_t>(pref));
        out += encode_name(host);
    } else if (r.type == type_a) {
        in_addr a{};
        inet_pton(AF_INET, r.data.c_str(), &a);
        out.append(reinterpret_cast<const char*>(&a), 4);
    } else if (r.type == type_ptr) {
        out += encode_name(r.data);
    } else if (r.type == type_txt) {
        for (size_t pos = 0; pos < r.data.size() || pos == 0; pos += 255) {
            std::string piece = r.data.substr(pos, 255);
            out.push_back(static_cast<char>(piece.size()));
            out += piece;
        }
    } else if (r.type == type_aaaa) {
        in6_addr a{};
        inet_pton(AF_INET6, r.data.c_str(), &a);
        out.append(reinterpret_cast<const char*>(&a), 16);
    }
    return out;
}

}  // namespace

FakeDns::FakeDns() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
}

FakeDns::~FakeDns() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
}

void FakeDns::set(const std::string& name, uint16_t type, FakeAnswer answer) {
    std::lock_guard lock(mutex_);
    table_[{lower(name), type}] = std::move(answer);
}

void FakeDns::add(const std::string& name, FakeRecord record) {
    std::lock_guard lock(mutex_);
    table_[{lower(name), record.type}].records.push_back(std::move(record));
}

int FakeDns::queries(const std::string& name, uint16_t type) {
    std::lock_guard lock(mutex_);
    return counts_[{lower(name), type}];
}

void FakeDns::serve() {
    while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[1500];
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) continue;
        std::string reply = respond(std::string(buf, static_cast<size_t>(n)));
        if (!reply.empty())
            ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
}

// Parses the one question, looks it up, builds the answer ("" = stay silent).
std::string FakeDns::respond(const std::string& q) {
    if (q.size() < 17) return "";
    size_t pos = 12;
    std::string name;
    while (pos < q.size() && q[pos] != 0) {
        size_t n = static_cast<unsigned char>(q[pos]);
        if (n > 63 || pos + 1 + n >= q.size()) return "";
        if (!name.empty()) name += '.';
        name += q.substr(pos + 1, n);
        pos += 1 + n;
    }
    pos++;
    if (pos + 4 > q.size()) return "";
    uint16_t qtype = static_cast<uint16_t>((static_cast<unsigned char>(q[pos]) << 8) | static_cast<unsigned char>(q[pos + 1]));
    std::string question = q.substr(12, pos + 4 - 12);

    FakeAnswer answer;
    answer.kind = FakeAnswer::Kind::nxdomain;
    {
        std::lock_guard lock(mutex_);
        counts_[{lower(name), qtype}]++;
        if (auto it = table_.find({lower(name), qtype}); it != table_.end()) {
            answer = it->second;
        } else {
            // The name exists with other types: NOERROR without data.
            for (const auto& [key, value] : table_)
                if (key.first == lower(name)) answer = FakeAnswer{};
        }
    }
    if (answer.kind == FakeAnswer::Kind::silent) return "";
    int rcode = answer.kind == FakeAnswer::Kind::nxdomain ? 3 : answer.kind == FakeAnswer::Kind::servfail ? 2 : 0;
    std::string out = q.substr(0, 2);   // id
    bool rd = (static_cast<unsigned char>(q[2]) & 0x01) != 0;
    out.push_back(static_cast<char>(0x84 | (rd ? 1 : 0)));  // QR, AA
    out.push_back(static_cast<char>(0x80 | rcode));         // RA
    put16(out, 1);
    put16(out, rcode == 0 ? static_cast<uint16_t>(answer.records.size()) : 0);
    put16(out, 0);
    put16(out, 0);
    out += question;
    if (rcode != 0) return out;
    for (const auto& r : answer.records) {
        put16(out, 0xC00C);   // the question's name
        put16(out, r.type);
        put16(out, 1);
        put32(out, r.ttl);
        std::string data = rdata(r);
        put16(out, static_cast<uint16_t>(data.size()));
        out += data;
    }
    return out;
}

}  // namespace pochta::dns::test
