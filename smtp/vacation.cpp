#include "smtp/vacation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>

#include "common/mime/address_list.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "smtp/vacation_reply.hpp"
#include "smtp/vacation_rules.hpp"

namespace pochta::smtp {

namespace {

// The user's own addresses (RFC 5230 4.5): the user, the address the
// message came to, the action's :addresses, and every address the users
// and aliases files let the user send as (its aliases, its +tag forms).
class OwnAddresses {
public:
    OwnAddresses(const VacationRequest& request, std::shared_ptr<const auth::Snapshot> directory)
        : user_(request.user), directory_(std::move(directory)) {
        explicit_.insert(to_lower(request.user));
        explicit_.insert(to_lower(request.recipient));
        for (const std::string& address : request.action.addresses) explicit_.insert(to_lower(address));
    }

    bool operator()(std::string_view address) const {
        return explicit_.contains(to_lower(address)) || directory_->may_send_as(user_, address);
    }

private:
    std::string user_;
    std::shared_ptr<const auth::Snapshot> directory_;
    std::set<std::string, std::less<>> explicit_;
};

// The addr-spec of a :from value ("Name <a@b>" or "a@b"), "" when none.
std::string address_of(std::string_view from) {
    for (const mime::AddressEntry& entry : mime::parse_address_list(from, 4))
        if (entry.kind == mime::AddressEntry::Kind::mailbox && entry.host) return entry.mailbox + "@" + *entry.host;
    return "";
}

constexpr size_t max_from = 512;  // a display name and an address, well within a header line

// :from only when it is one of the user's own addresses: the reply is
// DKIM-signed for its domain, so a script must not speak for others.
std::string reply_from(const VacationRequest& request, const OwnAddresses& own) {
    if (request.action.from.empty()) return request.recipient;
    const std::string address = address_of(request.action.from);
    if (!address.empty() && own(address) && request.action.from.size() <= max_from) return request.action.from;
    log::info("vacation: {}'s :from \"{}\" is not an address of the user: replying from {}", request.user,
              printable_prefix(request.action.from, 200), request.recipient);
    return request.recipient;
}

std::string_view domain_of(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

// The reply as a delivery with the null sender (RFC 5230 5, RFC 3834 3.3):
// queued (and so DKIM-signed) for a remote sender, into the INBOX of a
// local one. nullopt when the local sender does not exist.
std::optional<store::Delivery> reply_delivery(const Config& config, const auth::Snapshot& directory,
                                              const std::string& to, const std::string& message) {
    store::Delivery d;
    d.queue_id = random_hex(8);
    if (config.is_local_domain(domain_of(to))) {
        auth::Resolution where = directory.resolve(to);
        if (!where.found) return std::nullopt;
        d.local_users = std::move(where.local_users);
        d.remote_rcpts = std::move(where.remote);
    } else {
        d.remote_rcpts.push_back(to);
    }
    const std::string return_path = "Return-Path: <>\r\n";  // local copies have one; the queued copy skips it
    d.relay_skip = return_path.size();
    d.data = return_path + message;
    return d;
}

}  // namespace

std::chrono::seconds vacation_period(uint64_t seconds, std::chrono::seconds min, std::chrono::seconds max) {
    const auto lowest = static_cast<uint64_t>(min.count());
    const auto highest = static_cast<uint64_t>(max.count());
    return std::chrono::seconds(static_cast<int64_t>(std::clamp(seconds, lowest, std::max(lowest, highest))));
}

VacationResponder::VacationResponder(const Config& config, auth::Directory& directory, store::AsyncStore& store)
    : config_(config), directory_(directory), store_(store) {}

void VacationResponder::respond(VacationRequest request, std::function<void()> done) {
    auto directory = directory_.current();
    const OwnAddresses own(request, directory);
    const IncomingHeader header = read_incoming_header(request.message_headers);
    if (auto reason = no_reply_reason(request.envelope_sender, header, own)) {
        log::info("vacation: no reply for {} to <{}>: {}", request.user, request.envelope_sender, *reason);
        return done();
    }
    VacationReply reply;
    reply.from = reply_from(request, own);
    reply.to = request.envelope_sender;
    reply.subject = request.action.subject;
    reply.reason = request.action.reason;
    reply.mime = request.action.mime;
    reply.date = rfc5322_date_now();
    reply.message_id = fmt::format("<{}@{}>", random_hex(12), config_.hostname);
    auto delivery = reply_delivery(config_, *directory, request.envelope_sender, compose_vacation_reply(reply, header));
    if (!delivery) {
        log::info("vacation: no reply for {} to <{}>: no such local address", request.user, request.envelope_sender);
        return done();
    }
    const auto period = vacation_period(request.action.seconds, config_.sieve.vacation_min_period,
                                        config_.sieve.vacation_max_period);
    store::VacationMark mark{request.user, request.action.handle, to_lower(request.envelope_sender),
                             std::time(nullptr), period.count()};
    const std::string queue_id = delivery->queue_id;
    store_.run<bool>(
        [mark = std::move(mark), delivery = std::move(*delivery)](store::Store& store) {
            if (!store.vacation_claim(mark)) return false;
            store.deliver(delivery);
            return true;
        },
        [user = request.user, to = request.envelope_sender, queue_id, done = std::move(done)](bool sent,
                                                                                           store::Error error) {
            if (error) log::warn("vacation: reply for {} to <{}> not stored: {}", user, to, error.message);
            else if (sent) log::info("vacation: reply for {} to <{}> stored as {}", user, to, queue_id);
            else log::info("vacation: no reply for {} to <{}>: replied within the period", user, to);
            done();
        },
        request.user);
}

}  // namespace pochta::smtp
