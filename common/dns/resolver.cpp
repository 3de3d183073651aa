#include "common/dns/resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "common/net/handle_box.hpp"
#include "common/util/log.hpp"

namespace pochta::dns {
namespace {

constexpr int class_in = 1;
constexpr int type_a = 1;
constexpr int type_mx = 15;
constexpr int type_ptr = 12;
constexpr int type_txt = 16;
constexpr int type_aaaa = 28;
constexpr int type_srv = 33;
constexpr size_t max_mx_records = 100;     // more is not a real domain's doing
constexpr int max_addresses = 64;          // per family and answer
constexpr size_t max_txt_records = 50;
constexpr size_t max_txt_size = 16 * 1024; // per record, its strings joined
constexpr size_t max_ptr_names = 20;

ares_channel chan(void* channel) { return static_cast<ares_channel>(channel); }

void init_library_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS)
            throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
    });
}

Error error_of(int status) {
    switch (status) {
        case ARES_SUCCESS: return Error::none;
        case ARES_ENODATA: return Error::nodata;
        case ARES_ENOTFOUND: return Error::nxdomain;
        case ARES_EBADNAME: return Error::bad_name;
        default: return Error::temporary;  // SERVFAIL, timeouts, refused, bad responses
    }
}

// Host names are letters, digits and hyphens, but other names are not: an
// SPF macro may put a '+' or '=' of a local part into an exists: lookup
// (RFC 7208 section 7.3). Any visible ASCII but the backslash, which
// c-ares reads as an escape.
bool valid_label_char(char c) { return c > ' ' && c < 0x7f && c != '\\'; }

bool valid_query_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        if (!valid_label_char(c) || ++label > 63) return false;
    }
    return label > 0;
}

std::string strip_root_dot(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    return std::string(name);
}

std::string ntop(int family, const void* addr) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(family, addr, buf, sizeof buf)) return {};
    return buf;
}

struct Answer {
    Error error = Error::none;
    std::string message;
};

Answer answer_of(int status) { return Answer{error_of(status), status == ARES_SUCCESS ? "" : ares_strerror(status)}; }

Answer parse_mx(const unsigned char* buf, int len, std::vector<MxRecord>& out) {
    ares_mx_reply* list = nullptr;
    int status = ares_parse_mx_reply(buf, len, &list);
    if (status != ARES_SUCCESS) return answer_of(status);
    for (auto* mx = list; mx && out.size() < max_mx_records; mx = mx->next)
        out.push_back(MxRecord{mx->priority, strip_root_dot(mx->host ? mx->host : "")});
    ares_free_data(list);
    return {};
}

Answer parse_srv(const unsigned char* buf, int len, std::vector<SrvRecord>& out) {
    ares_srv_reply* list = nullptr;
    int status = ares_parse_srv_reply(buf, len, &list);
    if (status != ARES_SUCCESS) return answer_of(status);
    for (auto* srv = list; srv && out.size() < max_mx_records; srv = srv->next)
        out.push_back(SrvRecord{srv->priority, srv->weight, srv->port, strip_root_dot(srv->host ? srv->host : "")});
    ares_free_data(list);
    return {};
}

Answer parse_a(const unsigned char* buf, int len, std::vector<std::string>& out) {
    ares_addrttl addrs[max_addresses];
    int count = max_addresses;
    int status = ares_parse_a_reply(buf, len, nullptr, addrs, &count);
    if (status != ARES_SUCCESS) return answer_of(status);
    for (int i = 0; i < count; i++) out.push_back(ntop(AF_INET, &addrs[i].ipaddr));
    return count > 0 ? Answer{} : answer_of(ARES_ENODATA);
}

Answer parse_aaaa(const unsigned char* buf, int len, std::vector<std::string>& out) {
    ares_addr6ttl addrs[max_addresses];
    int count = max_addresses;
    int status = ares_parse_aaaa_reply(buf, len, nullptr, addrs, &count);
    if (status != ARES_SUCCESS) return answer_of(status);
    for (int i = 0; i < count; i++) out.push_back(ntop(AF_INET6, &addrs[i].ip6addr));
    return count > 0 ? Answer{} : answer_of(ARES_ENODATA);
}

Answer parse_txt(const unsigned char* buf, int len, std::vector<std::string>& out) {
    ares_txt_ext* list = nullptr;
    int status = ares_parse_txt_reply_ext(buf, len, &list);
    if (status != ARES_SUCCESS) return answer_of(status);
    bool dropped = false;  // the record being joined is over the size bound
    for (auto* txt = list; txt; txt = txt->next) {
        if (txt->record_start) {
            if (out.size() >= max_txt_records) break;
            out.emplace_back();
            dropped = false;
        }
        if (out.empty() || dropped) continue;
        if (out.back().size() + txt->length > max_txt_size) {
            out.pop_back();  // a cut record would be read as a different one
            dropped = true;
            continue;
        }
        out.back().append(reinterpret_cast<const char*>(txt->txt), txt->length);
    }
    ares_free_data(list);
    return out.empty() ? answer_of(ARES_ENODATA) : Answer{};
}

Answer parse_ptr(const unsigned char* buf, int len, std::vector<std::string>& out) {
    hostent* host = nullptr;
    unsigned char unused[16] = {};
    int status = ares_parse_ptr_reply(buf, len, unused, 4, AF_INET, &host);
    if (status != ARES_SUCCESS) return answer_of(status);
    if (host->h_name) out.push_back(strip_root_dot(host->h_name));
    for (char** alias = host->h_aliases; alias && *alias && out.size() < max_ptr_names; alias++) {
        std::string name = strip_root_dot(*alias);
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
    ares_free_hostent(host);
    return out.empty() ? answer_of(ARES_ENODATA) : Answer{};
}

// The two halves of an address lookup meet here.
struct AddressLookup {
    int remaining = 2;
    AddressResult result;
    Answer a, aaaa;
    std::function<void(AddressResult)> done;
};

// A name that exists for one family is not "nxdomain" for the other; any
// temporary failure outranks a definite "nothing here".
AddressResult combine(AddressLookup& lookup) {
    AddressResult r = std::move(lookup.result);
    if (!r.ipv4.empty() || !r.ipv6.empty()) return r;
    const Answer& a = lookup.a;
    const Answer& b = lookup.aaaa;
    if (a.error == Error::temporary || b.error == Error::temporary) {
        r.error = Error::temporary;
        r.message = a.error == Error::temporary ? a.message : b.message;
    } else if (a.error == Error::nxdomain && b.error == Error::nxdomain) {
        r.error = Error::nxdomain;
        r.message = a.message;
    } else if (a.error == Error::bad_name || b.error == Error::bad_name) {
        r.error = Error::bad_name;
        r.message = a.error == Error::bad_name ? a.message : b.message;
    } else {
        r.error = Error::nodata;
        r.message = "no A or AAAA records";
    }
    return r;
}

}  // namespace

std::string reverse_name(std::string_view ip) {
    std::string text(ip);
    unsigned char bytes[16];
    if (inet_pton(AF_INET, text.c_str(), bytes) == 1)
        return fmt::format("{}.{}.{}.{}.in-addr.arpa", bytes[3], bytes[2], bytes[1], bytes[0]);
    if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return {};
    static const char hex[] = "0123456789abcdef";
    std::string name;
    for (int i = 15; i >= 0; i--) {
        name += hex[bytes[i] & 0xf];
        name += '.';
        name += hex[bytes[i] >> 4];
        name += '.';
    }
    return name + "ip6.arpa";
}

std::string_view error_name(Error error) {
    switch (error) {
        case Error::none: return "none";
        case Error::nxdomain: return "nxdomain";
        case Error::nodata: return "nodata";
        case Error::temporary: return "temporary";
        case Error::bad_name: return "bad_name";
    }
    return "unknown";
}

struct Resolver::Poll {
    net::detail::Box<uv_poll_t>* box = nullptr;
};

struct Resolver::Query {
    Resolver* resolver;
    std::string key;
    std::string name;
    int type;
};

Resolver::Resolver(net::EventLoop& loop, ResolverOptions options) : loop_(loop), cache_(options.cache_entries) {
    init_library_once();
    ares_options opts{};
    // EDNS0: DKIM keys and SPF records often exceed 512 bytes; a server
    // that does not speak EDNS still gets a TCP retry on truncation.
    opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
    opts.ednspsz = 1232;
    opts.timeout = static_cast<int>(options.timeout.count());
    opts.tries = options.tries < 1 ? 1 : options.tries;
    opts.sock_state_cb = &Resolver::sock_state_cb;
    opts.sock_state_cb_data = this;
    int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
    ares_channel channel = nullptr;
    if (int status = ares_init_options(&channel, &opts, mask); status != ARES_SUCCESS)
        throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
    channel_ = channel;
    if (options.servers.empty()) return;
    std::string csv;
    for (const auto& server : options.servers) csv += (csv.empty() ? "" : ",") + server;
    if (int status = ares_set_servers_ports_csv(channel, csv.c_str()); status != ARES_SUCCESS) {
        ares_destroy(channel);
        throw std::runtime_error("dns_servers: cannot use \"" + csv + "\": " + ares_strerror(status));
    }
}

Resolver::~Resolver() {
    destroying_ = true;
    liveness_.end();
    // Calls every pending query back with ARES_EDESTRUCTION (dropped below)
    // and reports each socket closed, which closes its poll handle.
    ares_destroy(chan(channel_));
    for (auto& [fd, poll] : polls_) {
        poll->box->on_close = nullptr;
        poll->box->close();
        delete poll;
    }
}

void Resolver::sock_state_cb(void* data, int fd, int readable, int writable) {
    static_cast<Resolver*>(data)->watch_socket(fd, readable != 0, writable != 0);
}

// c-ares says which of its sockets it wants to hear about; a uv_poll_t per
// socket turns that into loop events.
void Resolver::watch_socket(int fd, bool readable, bool writable) {
    auto it = polls_.find(fd);
    if (!readable && !writable) {
        if (it == polls_.end()) return;
        Poll* poll = it->second;
        polls_.erase(it);
        // Stopped before c-ares closes the descriptor (right after this returns).
        uv_poll_stop(&poll->box->uv);
        poll->box->on_close = nullptr;
        poll->box->close();
        delete poll;
        return;
    }
    if (it == polls_.end()) {
        auto* poll = new Poll;
        poll->box = new net::detail::Box<uv_poll_t>(loop_.uv());
        if (int err = uv_poll_init_socket(loop_.uv(), &poll->box->uv, fd); err < 0) {
            log::error("dns: cannot watch socket {}: {}", fd, uv_strerror(err));
            poll->box->close();
            delete poll;
            return;
        }
        poll->box->adopt();
        poll->box->owner = this;
        // The loop is being torn down before us: forget the handle it closed.
        poll->box->on_close = [this, fd] {
            auto found = polls_.find(fd);
            if (found == polls_.end()) return;
            delete found->second;
            polls_.erase(found);
        };
        it = polls_.emplace(fd, poll).first;
    }
    int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
    uv_poll_start(&it->second->box->uv, events, [](uv_poll_t* handle, int status, int ev) {
        auto* box = net::detail::box_of(handle);
        auto* self = static_cast<Resolver*>(box->owner);
        int fd = -1;
        uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd);
        self->on_socket_event(fd, status, ev);
    });
}

void Resolver::on_socket_event(int fd, int status, int events) {
    // On a socket error, let c-ares try both directions and find it itself.
    bool rd = status < 0 || (events & UV_READABLE);
    bool wr = status < 0 || (events & UV_WRITABLE);
    process(rd ? fd : ARES_SOCKET_BAD, wr ? fd : ARES_SOCKET_BAD);
}

void Resolver::process(int read_fd, int write_fd) {
    ares_process_fd(chan(channel_), read_fd, write_fd);
    rearm_timer();
    flush_ready();
}

// c-ares keeps its own retry and timeout clock; the timer wakes it when the
// next of its deadlines is due.
void Resolver::rearm_timer() {
    timeval tv{};
    if (!ares_timeout(chan(channel_), nullptr, &tv)) {
        timer_.reset();
        return;
    }
    auto delay = std::chrono::milliseconds(tv.tv_sec * 1000 + tv.tv_usec / 1000);
    timer_ = loop_.start_timer(delay, [this] { process(ARES_SOCKET_BAD, ARES_SOCKET_BAD); });
}

// Results are reported after c-ares returned, so that a callback may start
// new lookups or destroy the Resolver.
void Resolver::finish(std::function<void()> report) {
    pending_--;
    ready_.push_back(std::move(report));
}

void Resolver::flush_ready() {
    std::vector<std::function<void()>> batch;
    batch.swap(ready_);
    auto alive = liveness_.watch();
    for (auto& report : batch) {
        report();
        if (!alive) return;
    }
}

// For results c-ares produced synchronously inside ares_query (a bad name,
// no servers): they still must not reach the caller inside resolve_*.
void Resolver::flush_later() {
    if (ready_.empty()) return;
    loop_.post([alive = liveness_.watch(), this] {
        if (alive) flush_ready();
    });
}

void Resolver::start_query(const std::string& name, int type, Parse parse) {
    if (const auto* cached = cache_.find(name, type)) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(cached->message.data());
        return parse(cached->status, bytes, static_cast<int>(cached->message.size()));
    }
    std::string key = AnswerCache::key_of(name, type);
    auto [waiting, first] = in_flight_.try_emplace(key);
    waiting->second.push_back(std::move(parse));
    if (!first) return;
    queries_sent_++;
    auto* query = new Query{this, key, name, type};
    ares_query(chan(channel_), name.c_str(), class_in, type,
               [](void* arg, int status, int, unsigned char* buf, int len) {
                   std::unique_ptr<Query> q(static_cast<Query*>(arg));
                   if (status == ARES_EDESTRUCTION || q->resolver->destroying_) return;
                   q->resolver->on_answer(q->key, q->name, q->type, status, buf, len);
               },
               query);
    rearm_timer();
}

// Keeps the answer as long as its TTL allows, then hands it to everyone
// who asked the same question meanwhile.
void Resolver::on_answer(const std::string& key, const std::string& name, int type, int status,
                         const unsigned char* message, int size) {
    bool negative = status == ARES_ENOTFOUND || status == ARES_ENODATA;
    if ((status == ARES_SUCCESS || negative) && message && size > 0) {
        if (auto ttl = cacheable_ttl(message, static_cast<size_t>(size), negative))
            cache_.store(name, type, {status, std::string(reinterpret_cast<const char*>(message), size)}, *ttl);
    }
    auto node = in_flight_.extract(key);
    if (node.empty()) return;
    for (auto& parse : node.mapped()) parse(status, message, size);
}

// One question, one result: `parser` fills the result's list from the
// answer; the error and message come from the status.
template <typename Result, typename Parser>
void Resolver::ask(std::string_view raw_name, int type, std::function<void(Result)> done, Parser parser) {
    std::string name = strip_root_dot(raw_name);
    pending_++;
    if (!valid_query_name(name)) {
        Result result;
        result.error = Error::bad_name;
        result.message = "not a valid domain name: " + name;
        finish([done, result = std::move(result)]() mutable { done(std::move(result)); });
        return flush_later();
    }
    start_query(name, type, [this, done, parser](int status, const unsigned char* buf, int len) {
        Result result;
        Answer answer = status == ARES_SUCCESS ? parser(buf, len, result) : answer_of(status);
        if (answer.error != Error::none) result = Result{};
        result.error = answer.error;
        result.message = answer.message;
        finish([done, result = std::move(result)]() mutable { done(std::move(result)); });
    });
    flush_later();
}

void Resolver::resolve_mx(std::string_view domain, std::function<void(MxResult)> done) {
    ask(domain, type_mx, std::move(done),
        [](const unsigned char* buf, int len, MxResult& r) { return parse_mx(buf, len, r.records); });
}

void Resolver::resolve_txt(std::string_view name, std::function<void(TxtResult)> done) {
    ask(name, type_txt, std::move(done),
        [](const unsigned char* buf, int len, TxtResult& r) { return parse_txt(buf, len, r.records); });
}

void Resolver::resolve_ipv4(std::string_view host, std::function<void(AddressResult)> done) {
    ask(host, type_a, std::move(done),
        [](const unsigned char* buf, int len, AddressResult& r) { return parse_a(buf, len, r.ipv4); });
}

void Resolver::resolve_ipv6(std::string_view host, std::function<void(AddressResult)> done) {
    ask(host, type_aaaa, std::move(done),
        [](const unsigned char* buf, int len, AddressResult& r) { return parse_aaaa(buf, len, r.ipv6); });
}

void Resolver::resolve_srv(std::string_view name, std::function<void(SrvResult)> done) {
    ask(name, type_srv, std::move(done),
        [](const unsigned char* buf, int len, SrvResult& r) { return parse_srv(buf, len, r.records); });
}

void Resolver::resolve_ptr(std::string_view ip, std::function<void(NameResult)> done) {
    std::string name = reverse_name(ip);
    if (name.empty()) name = "not an address: " + std::string(ip);  // fails the name check: bad_name
    ask(name, type_ptr, std::move(done),
        [](const unsigned char* buf, int len, NameResult& r) { return parse_ptr(buf, len, r.names); });
}

void Resolver::resolve_addresses(std::string_view host, std::function<void(AddressResult)> done) {
    std::string name = strip_root_dot(host);
    if (!valid_query_name(name)) {
        pending_++;
        finish([done, name] { done(AddressResult{Error::bad_name, "not a valid host name: " + name, {}, {}}); });
        return flush_later();
    }
    auto lookup = std::make_shared<AddressLookup>();
    lookup->done = std::move(done);
    pending_++;
    auto half = [this, lookup](bool v6) {
        return [this, lookup, v6](int status, const unsigned char* buf, int len) {
            auto& list = v6 ? lookup->result.ipv6 : lookup->result.ipv4;
            Answer answer = status != ARES_SUCCESS ? answer_of(status)
                            : v6                   ? parse_aaaa(buf, len, list)
                                                   : parse_a(buf, len, list);
            (v6 ? lookup->aaaa : lookup->a) = answer;
            if (--lookup->remaining > 0) return;
            finish([lookup] { lookup->done(combine(*lookup)); });
        };
    };
    start_query(name, type_aaaa, half(true));
    start_query(name, type_a, half(false));
    flush_later();
}

}  // namespace pochta::dns
