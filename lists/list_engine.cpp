#include "lists/list_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <set>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "lists/list_archive_post.hpp"
#include "lists/list_bounces.hpp"
#include "lists/list_digest.hpp"
#include "lists/list_fanout.hpp"
#include "lists/list_message.hpp"
#include "lists/list_notice.hpp"
#include "lists/list_policy.hpp"
#include "lists/list_settings.hpp"
#include "lists/list_token.hpp"
#include "mailauth/dmarc.hpp"
#include "smtp/trace.hpp"

namespace pochta::lists {

namespace {

constexpr int64_t confirm_lifetime = 3 * 24 * 3600;
constexpr int64_t hold_lifetime = 7 * 24 * 3600;
constexpr size_t resume_batch = 1000;
constexpr auto sweep_period = std::chrono::minutes(10);
constexpr std::string_view moderate_purpose = "moderate";
constexpr std::string_view confirm_purpose = "confirm";

// An inbound item's address field: "COMMAND ARGUMENT SENDER" ("-" for no
// argument, "<>" for the null sender).
std::string describe_inbound(const ListTarget& target, const std::string& envelope_from) {
    return fmt::format("{} {} {}", command_name(target.command), target.argument.empty() ? "-" : target.argument,
                       envelope_from.empty() ? "<>" : envelope_from);
}

struct Inbound {
    ListCommand command = ListCommand::post;
    std::string argument;
    std::string envelope_from;
};

std::optional<Inbound> parse_inbound(std::string_view text) {
    auto first = text.find(' ');
    auto second = first == std::string_view::npos ? first : text.find(' ', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    auto command = command_named(text.substr(0, first));
    if (!command) return std::nullopt;
    std::string_view argument = text.substr(first + 1, second - first - 1);
    std::string_view sender = text.substr(second + 1);
    return Inbound{*command, argument == "-" ? "" : std::string(argument), sender == "<>" ? "" : std::string(sender)};
}

uint32_t roles_of(const store::MailingList& list, std::string_view address) {
    for (const auto& p : list.people)
        if (p.address == address) return p.roles;
    return 0;
}

std::vector<std::string> people_with(const store::MailingList& list, uint32_t roles) {
    std::vector<std::string> out;
    for (const auto& p : list.people)
        if (p.roles & roles) out.push_back(p.address);
    return out;
}

// Members who get each post, or digests; none whose delivery bounces
// stopped (README.md, "Mailing lists", "Bounces").
std::vector<std::string> receiving_members(const store::MailingList& list,
                                           store::ListDelivery delivery = store::ListDelivery::on) {
    std::vector<std::string> out;
    for (const auto& p : list.people)
        if ((p.roles & store::list_member) && p.delivery == delivery && p.disabled == 0) out.push_back(p.address);
    return out;
}

int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

// What processing one item needs, read in one store call.
struct Item {
    store::ListPending pending;
    std::optional<store::MailingList> list;
    std::string secret;
};

}  // namespace

struct ListEngine::State : std::enable_shared_from_this<ListEngine::State> {
    explicit State(EngineContext c) : ctx(c) {}
    EngineContext ctx;
    bool alive = true;

    // ---- sending
    // What remote members get instead of send()'s message: the content
    // relayed to all and each member's own header fields before it.
    struct RemoteCopies {
        std::string message;
        std::function<std::string(const std::string&)> fields;
    };
    // Sends `message` to each address: local users through the store (one
    // copy), others through the outbound queue (lists/list_fanout.hpp: each
    // with the envelope sender `envelope` gives it), a local list as a post
    // to that list. `done(ok)` when all are stored.
    void send(const std::string& list, std::vector<std::string> rcpts, std::function<std::string(const std::string&)> envelope,
              std::string message, std::function<void(bool)> done, std::optional<RemoteCopies> remote = std::nullopt);
    void notify(const std::string& list, Notice notice);

    // ---- processing
    void process(int64_t id);
    void handle(Item item);
    void finish(int64_t id);
    void handle_post(const Item& item, const Inbound& in);
    void distribute(const store::MailingList& list, const std::string& secret, std::string message,
                    std::function<void(bool)> done);
    void hold(const Item& item, const std::string& author, bool tell_author);
    void handle_moderation(const Item& item, const Inbound& in);
    void decide(const store::MailingList& list, const std::string& secret, const store::ListPending& held,
                bool approve, const std::string& by, std::function<void(bool)> done);
    void handle_request(const Item& item, const Inbound& in);
    void handle_confirm(const Item& item, const Inbound& in);
    void refuse(const Item& item, const Inbound& in, const std::string& to, const std::string& why);
    void sweep_expired();
    void announce_one_click(const OneClickOutcome& outcome);
    void handle_bounce(const Item& item, const Inbound& in);
    void keep_for_digest(const store::MailingList& list, std::string post, std::function<void(bool)> done);
    void send_due_digests(std::vector<std::string> lists);
    void send_digest(const std::string& address);
    std::set<std::string> digesting;   // lists whose digest is being read or sent
    // Held posts a decision was taken on, so two at once (two replies, a
    // reply and a link) cannot both send one. Kept: a decided post's pending
    // row goes away after its copies are stored, and its id is never reused.
    std::set<int64_t> decided;
};

namespace {

// The stores one send() started: `done(ok)` once all are over.
struct SendProgress {
    size_t running = 1;  // send() itself, until it has started them all
    bool ok = true;
    std::function<void(bool)> done;

    void finished(bool stored) {
        ok = ok && stored;
        if (--running == 0) std::exchange(done, nullptr)(ok);
    }
};

}  // namespace

void ListEngine::State::send(const std::string& list, std::vector<std::string> rcpts,
                             std::function<std::string(const std::string&)> envelope, std::string message,
                             std::function<void(bool)> done, std::optional<RemoteCopies> remote) {
    auto progress = std::make_shared<SendProgress>();
    progress->done = std::move(done);
    auto snapshot = ctx.directory.current();
    std::vector<std::string> local_users, remote_members, nested;
    for (const auto& rcpt : rcpts) {
        const bool is_local = ctx.config.is_local_domain(domain_of(rcpt));
        auth::Resolution r = is_local ? snapshot->resolve(rcpt) : auth::Resolution{true, {}, {rcpt}};
        if (!r.found) {
            nested.push_back(rcpt);
            continue;
        }
        for (auto& user : r.local_users)
            if (std::find(local_users.begin(), local_users.end(), user) == local_users.end())
                local_users.push_back(user);
        for (auto& address : r.remote) remote_members.push_back(address);
    }
    if (!local_users.empty()) {
        const std::string owner = command_address(list, ListCommand::owner);
        store::Delivery local;
        local.queue_id = random_hex(8);
        local.envelope_from = owner;
        local.data = smtp::return_path_header(owner) + message;
        local.local_users = std::move(local_users);
        ++progress->running;
        ctx.store.deliver(std::move(local), [progress](store::Error error) {
            if (!error.empty()) log::error("list delivery failed: {}", error);
            progress->finished(error.empty());
        });
    }
    if (!remote_members.empty()) {
        ++progress->running;
        RemoteFanout fanout{std::make_shared<const std::string>(remote ? std::move(remote->message) : message),
                            std::move(remote_members), envelope, remote ? std::move(remote->fields) : nullptr};
        store_remote_copies(ctx.store, std::move(fanout), [progress](bool ok) { progress->finished(ok); });
    }
    auto self = shared_from_this();
    for (const auto& member : nested) {
        // A local address that is no user: another list, or nobody.
        ++progress->running;
        self->ctx.store.run<int64_t>(
            [item = store::ListPending{0, member, store::ListPendingKind::inbound,
                                       describe_inbound({member, ListCommand::post, {}}, envelope(member)), message}](
                store::Store& s) { return s.add_list_pending(item); },
            [self, progress, member](int64_t id, store::Error error) {
                if (!error.empty()) log::warn("list: member {} is neither a user nor a list: {}", member, error);
                else if (self->alive) self->process(id);
                progress->finished(true);
            });
    }
    progress->finished(true);
}

void ListEngine::State::notify(const std::string& list, Notice notice) {
    std::string to = notice.to;
    send(list, {to}, [](const std::string&) { return std::string(); }, notice_message(list, notice),
         [list, to](bool ok) {
             if (!ok) log::error("list {}: notice to {} not stored", list, to);
         });
}

void ListEngine::State::process(int64_t id) {
    auto self = shared_from_this();
    ctx.store.run<Item>(
        [id](store::Store& s) {
            Item item;
            auto pending = s.read_list_pending(id);
            if (!pending) return item;
            item.pending = std::move(*pending);
            item.list = s.find_list(item.pending.list);
            item.secret = s.list_secret();
            return item;
        },
        [self](Item item, store::Error error) {
            if (!self->alive) return;
            if (!error.empty()) return log::error("list: cannot read a pending item: {}", error);
            if (item.pending.id != 0) self->handle(std::move(item));
        });
}

void ListEngine::State::finish(int64_t id) {
    ctx.store.run<bool>([id](store::Store& s) { return s.take_list_pending(id).has_value(); },
                        [id](bool, store::Error error) {
                            if (!error.empty()) log::error("list: cannot remove pending item {}: {}", id, error);
                        });
}

void ListEngine::State::handle(Item item) {
    auto in = parse_inbound(item.pending.address);
    if (!item.list || !in) {
        log::warn("list {}: dropping unreadable pending item {}", item.pending.list, item.pending.id);
        return finish(item.pending.id);
    }
    switch (in->command) {
        case ListCommand::post: return handle_post(item, *in);
        case ListCommand::approve:
        case ListCommand::reject: return handle_moderation(item, *in);
        case ListCommand::subscribe:
        case ListCommand::unsubscribe: return handle_request(item, *in);
        case ListCommand::confirm: return handle_confirm(item, *in);
        case ListCommand::owner: {
            const int64_t id = item.pending.id;
            const std::string owner = command_address(item.list->address, ListCommand::owner);
            return send(item.list->address, people_with(*item.list, store::list_owner),
                        [owner](const std::string&) { return owner; },
                        item.pending.data, [self = shared_from_this(), id](bool ok) {
                            if (ok) self->finish(id);
                        });
        }
        case ListCommand::bounce: return handle_bounce(item, *in);
    }
}

void ListEngine::State::handle_post(const Item& item, const Inbound& in) {
    const store::MailingList& list = *item.list;
    const int64_t id = item.pending.id;
    if (has_looped(item.pending.data, list.address)) {
        log::info("list {}: post {} came back to the list (X-Loop): not sent again", list.address, id);
        return finish(id);
    }
    std::string author = author_address(item.pending.data);
    if (author.empty()) author = to_lower(in.envelope_from);
    const ListSettings settings = read_settings(list.settings);
    switch (decide_post(settings, roles_of(list, author))) {
        case PostDecision::distribute:
            log::info("list {}: post {} from {} accepted", list.address, id, log::quoted(author));
            return distribute(list, item.secret, item.pending.data, [self = shared_from_this(), id](bool ok) {
                if (ok) self->finish(id);
            });
        case PostDecision::hold: return hold(item, author, !in.envelope_from.empty());
        case PostDecision::reject:
            log::info("list {}: post {} from {} refused by the posting policy", list.address, id, log::quoted(author));
            refuse(item, in, author, "Your post was not accepted: this list takes posts only from its "
                                     "members or moderators.");
            return finish(id);
    }
}

void ListEngine::State::distribute(const store::MailingList& list, const std::string& secret, std::string message,
                                   std::function<void(bool)> done) {
    const ListSettings settings = read_settings(list.settings);
    const std::string author_domain = domain_of(author_address(message));
    auto go = [self = shared_from_this(), list, secret, message = std::move(message), settings,
               done = std::move(done)](bool rewrite) mutable {
        if (!self->alive) return;
        if (rewrite) log::info("list {}: From of the post rewritten to the list", list.address);
        CopyOptions options{list.address, &settings, rewrite};
        const auto& listen = self->ctx.config.listen;
        auto port_of = [](const auto& endpoint) { return endpoint ? std::optional<uint16_t>(endpoint->port) : std::nullopt; };
        options.archive_server = archive_server(self->ctx.config.hostname, port_of(listen.imap), port_of(listen.imaps));
        std::string copy = list_copy(message, options);
        const std::string address = list.address;
        // With an https listener, remote members' copies carry their own
        // one-click List-Unsubscribe (README.md, "One-click unsubscribe").
        std::optional<RemoteCopies> remote;
        const std::string base = one_click_base(self->ctx.config.hostname, port_of(listen.https));
        if (!base.empty()) {
            options.unsubscribe_per_member = true;
            remote = RemoteCopies{list_copy(message, options),
                                  [base, secret, address](const std::string& member) {
                                      return one_click_fields(base, secret, address, member);
                                  }};
        }
        if (!receiving_members(list, store::ListDelivery::digest).empty())
            done = [self, list, message = std::move(message), done = std::move(done)](bool ok) mutable {
                if (!ok) return done(false);
                self->keep_for_digest(list, std::move(message), std::move(done));
            };
        else
            message = {};  // the post itself is no longer needed: one copy less held during the fan-out
        done = archive_beside(self->ctx.store, address, copy, std::move(done));
        self->send(address, receiving_members(list),
                   [address](const std::string& member) { return verp_address(address, member); }, std::move(copy),
                   std::move(done), std::move(remote));
    };
    if (settings.from_rewrite != FromRewrite::dmarc || author_domain.empty() || !ctx.resolver)
        return go(settings.from_rewrite == FromRewrite::always);
    mailauth::DmarcInputs inputs;
    inputs.from_domain = author_domain;
    mailauth::check_dmarc(*ctx.resolver, inputs, [go = std::move(go)](mailauth::DmarcOutcome outcome) mutable {
        // A policy we cannot read now is treated as strict: the rewritten
        // From is always delivered, the author's may not be.
        go(outcome.policy != mailauth::DmarcPolicy::none || outcome.result == mailauth::DmarcResult::temperror);
    });
}

void ListEngine::State::hold(const Item& item, const std::string& author, bool tell_author) {
    auto self = shared_from_this();
    store::ListPending held{0, item.list->address, store::ListPendingKind::held, author, item.pending.data, 0,
                            now_seconds() + hold_lifetime};
    ctx.store.run<int64_t>(
        [held](store::Store& s) { return s.add_list_pending(held); },
        [self, item, author, tell_author](int64_t held_id, store::Error error) {
            if (!self->alive) return;
            if (!error.empty()) return log::error("list {}: cannot hold post: {}", item.list->address, error);
            const std::string& list = item.list->address;
            const std::string token = make_token(item.secret, moderate_purpose, held_id);
            const std::string approve = command_address(list, ListCommand::approve, token);
            const std::string reject = command_address(list, ListCommand::reject, token);
            const auto& https = self->ctx.config.listen.https;
            const std::string page = https_url(self->ctx.config.hostname,
                                               https ? std::optional<uint16_t>(https->port) : std::nullopt, moderate_path);
            const std::string web = page.empty() ? "" : fmt::format("Or approve or reject it on the web:\n  {}?t={}\n", page, token);
            auto moderators = people_with(*item.list, store::list_moderator);
            if (moderators.empty()) moderators = people_with(*item.list, store::list_owner);
            log::info("list {}: post from {} held as {} for {} moderator(s)", list, log::quoted(author), held_id,
                      moderators.size());
            for (const auto& moderator : moderators)
                self->notify(list, {moderator, fmt::format("{}: post from {} held for approval", list, author),
                                    fmt::format("A post from {} to {} waits for approval (attached).\n\n"
                                                "To approve it, reply to this message or write to\n  {}\n"
                                                "To reject it, write to\n  {}\n{}",
                                                author, list, approve, reject, web),
                                    approve, item.pending.data});
            // RFC 3834: nothing automatic goes back to the null sender.
            if (tell_author)
                self->notify(list, {author, fmt::format("Your post to {} is held for approval", list),
                                    fmt::format("Your post to {} waits for a moderator's approval.\n", list), "", {}});
            self->finish(item.pending.id);
        });
}

void ListEngine::State::refuse(const Item& item, const Inbound& in, const std::string& to, const std::string& why) {
    // RFC 3834: nothing automatic goes back to the null sender.
    if (in.envelope_from.empty() || to.empty()) return;
    notify(item.list->address, {to, fmt::format("Your mail to {} was not accepted", item.list->address), why, "",
                                item.pending.data});
}

void ListEngine::State::handle_moderation(const Item& item, const Inbound& in) {
    const store::MailingList& list = *item.list;
    std::string sender = author_address(item.pending.data);
    if (sender.empty()) sender = to_lower(in.envelope_from);
    const auto held_id = check_token(item.secret, moderate_purpose, in.argument);
    const bool moderator = (roles_of(list, sender) & (store::list_moderator | store::list_owner)) != 0;
    if (!held_id || !moderator) {
        log::info("list {}: {} by {} refused: {}", list.address, command_name(in.command), log::quoted(sender),
                  held_id ? "not a moderator" : "bad token");
        refuse(item, in, sender, "This address takes approvals only from the list's moderators, with a valid token.");
        return finish(item.pending.id);
    }
    auto self = shared_from_this();
    const bool approve = in.command == ListCommand::approve;
    ctx.store.run<std::optional<store::ListPending>>(
        [id = *held_id](store::Store& s) { return s.read_list_pending(id); },
        [self, item, in, sender, approve](std::optional<store::ListPending> held, store::Error error) {
            if (!self->alive) return;
            const std::string& list = item.list->address;
            if (!error.empty()) return log::error("list {}: cannot read held post: {}", list, error);
            if (!held || held->kind != store::ListPendingKind::held || held->list != list ||
                self->decided.count(held->id)) {
                self->refuse(item, in, sender, "That post was approved, rejected or expired already.");
                return self->finish(item.pending.id);
            }
            self->decide(*item.list, item.secret, *held, approve, log::quoted(sender),
                         [self, approval = item.pending.id](bool ok) {
                             if (ok) self->finish(approval);
                         });
        });
}

// `done(ok)` once the decision is carried out: a rejected post's author
// told, an approved one's copies stored. The callers look at `decided`
// first, on the loop, so a post is decided once.
void ListEngine::State::decide(const store::MailingList& list, const std::string& secret,
                               const store::ListPending& held, bool approve, const std::string& by,
                               std::function<void(bool)> done) {
    decided.insert(held.id);
    log::info("list {}: held post {} from {} {} by {}", list.address, held.id, log::quoted(held.address),
              approve ? "approved" : "rejected", by);
    if (!approve) {
        notify(list.address, {held.address, fmt::format("Your post to {} was rejected", list.address),
                              fmt::format("A moderator of {} rejected your post (attached).\n", list.address), "",
                              held.data});
        finish(held.id);
        return done(true);
    }
    // The held post goes only once its copies are stored: a stop in
    // between sends it again on the next approval, never loses it.
    distribute(list, secret, held.data, [self = shared_from_this(), held_id = held.id, done = std::move(done)](bool ok) {
        if (ok) self->finish(held_id);
        else self->decided.erase(held_id);  // not sent: a later approval tries again
        done(ok);
    });
}

void ListEngine::State::handle_request(const Item& item, const Inbound& in) {
    const std::string& list = item.list->address;
    std::string who = author_address(item.pending.data);
    if (who.empty()) who = to_lower(in.envelope_from);
    if (in.envelope_from.empty() || who.empty()) {
        log::info("list {}: {} request without a sender ignored", list, command_name(in.command));
        return finish(item.pending.id);
    }
    const auto kind = in.command == ListCommand::subscribe ? store::ListPendingKind::subscribe
                                                            : store::ListPendingKind::unsubscribe;
    auto self = shared_from_this();
    store::ListPending request{0, list, kind, who, {}, 0, now_seconds() + confirm_lifetime};
    ctx.store.run<int64_t>(
        [request](store::Store& s) { return s.add_list_pending(request); },
        [self, item, who, in](int64_t id, store::Error error) {
            if (!self->alive) return;
            const std::string& list = item.list->address;
            if (!error.empty()) return log::error("list {}: cannot keep {} request: {}", list, who, error);
            const std::string what(command_name(in.command));
            const std::string confirm = command_address(list, ListCommand::confirm,
                                                        make_token(item.secret, confirm_purpose, id));
            log::info("list {}: {} request from {} waits for confirmation", list, what, log::quoted(who));
            self->notify(list, {who, fmt::format("Confirm: {} {}", what, list),
                                fmt::format("Someone asked to {} {} for {}.\n\nTo confirm, reply to this message "
                                            "or write to\n  {}\nwithin 3 days. Otherwise, ignore this message.\n",
                                            what, who, list, confirm),
                                confirm, {}});
            self->finish(item.pending.id);
        });
}

void ListEngine::State::handle_confirm(const Item& item, const Inbound& in) {
    const std::string& list = item.list->address;
    const auto id = check_token(item.secret, confirm_purpose, in.argument);
    if (!id) {
        log::info("list {}: confirmation with a bad token from {}", list, log::quoted(in.envelope_from));
        refuse(item, in, to_lower(in.envelope_from), "That confirmation is not valid.");
        return finish(item.pending.id);
    }
    auto self = shared_from_this();
    ctx.store.run<std::string>(
        [id = *id, list, people = item.list->people](store::Store& s) -> std::string {
            auto request = s.take_list_pending(id);
            if (!request || request->list != list || request->expires < now_seconds() ||
                (request->kind != store::ListPendingKind::subscribe &&
                 request->kind != store::ListPendingKind::unsubscribe))
                return {};
            const bool subscribe = request->kind == store::ListPendingKind::subscribe;
            store::ListPerson person{request->address, 0, store::ListDelivery::on};
            for (const auto& p : people)
                if (p.address == request->address) person = p;
            person.roles = subscribe ? person.roles | store::list_member : person.roles & ~store::list_member;
            s.set_list_person(list, person, "mail:" + request->address);
            // Subscribing again is how a member restarts a delivery bounces stopped.
            if (subscribe && person.disabled != 0) s.enable_list_member(list, person.address, "mail:" + person.address);
            return (subscribe ? "subscribed " : "unsubscribed ") + request->address;
        },
        [self, item, in](std::string done, store::Error error) {
            if (!self->alive) return;
            const std::string& list = item.list->address;
            if (!error.empty()) return log::error("list {}: confirmation failed: {}", list, error);
            if (done.empty()) {
                self->refuse(item, in, to_lower(in.envelope_from), "That confirmation has expired or was used.");
                return self->finish(item.pending.id);
            }
            log::info("list {}: {}", list, done);
            const std::string who = done.substr(done.find(' ') + 1);
            self->notify(list, {who, fmt::format("{}: {}", list, done), fmt::format("You are now {} to {}.\n",
                                done.substr(0, done.find(' ')), list), "", {}});
            if (read_settings(item.list->settings).notify_owners)
                for (const auto& owner : people_with(*item.list, store::list_owner))
                    self->notify(list, {owner, fmt::format("{}: {}", list, done), done + "\n", "", {}});
            self->finish(item.pending.id);
        });
}

void ListEngine::State::sweep_expired() {
    auto self = shared_from_this();
    ctx.store.run<std::vector<std::string>>([](store::Store& s) { return s.lists_with_digest_posts(); },
                                            [self](std::vector<std::string> lists, store::Error error) {
                                                if (!error.empty()) return log::error("list: digests: {}", error);
                                                if (self->alive) self->send_due_digests(std::move(lists));
                                            });
    ctx.store.run<std::vector<store::ListPending>>(
        [now = now_seconds()](store::Store& s) {
            std::vector<store::ListPending> expired;
            for (auto kind : {store::ListPendingKind::held, store::ListPendingKind::subscribe,
                              store::ListPendingKind::unsubscribe})
                for (int64_t id : s.list_pending_ids(kind, resume_batch, now))
                    if (auto item = s.take_list_pending(id)) expired.push_back(std::move(*item));
            return expired;
        },
        [self](std::vector<store::ListPending> expired, store::Error error) {
            if (!self->alive) return;
            if (!error.empty()) return log::error("list: cannot sweep expired items: {}", error);
            for (const auto& item : expired) {
                log::info("list {}: pending item {} of {} expired", item.list, item.id, log::quoted(item.address));
                if (item.kind != store::ListPendingKind::held) continue;
                self->notify(item.list, {item.address, fmt::format("Your post to {} expired", item.list),
                                         fmt::format("No moderator of {} approved your post (attached) in time; "
                                                     "it was not sent.\n", item.list),
                                         "", item.data});
            }
        });
}

void ListEngine::State::announce_one_click(const OneClickOutcome& outcome) {
    log::info("list {}: unsubscribed {} (one-click)", outcome.list, outcome.member);
    ctx.store.run<std::optional<store::MailingList>>(
        [list = outcome.list](store::Store& s) { return s.find_list(list); },
        [self = shared_from_this(), outcome](std::optional<store::MailingList> list, store::Error error) {
            if (!self->alive || !error.empty() || !list || !read_settings(list->settings).notify_owners) return;
            const std::string done = "unsubscribed " + outcome.member;
            for (const auto& owner : people_with(*list, store::list_owner))
                self->notify(outcome.list, {owner, fmt::format("{}: {}", outcome.list, done), done + " (one-click)\n", "", {}});
        });
}

void ListEngine::State::handle_bounce(const Item& item, const Inbound& in) {
    const std::string& list = item.list->address;
    const int64_t id = item.pending.id;
    const std::string member = verp_member(in.argument);
    const BounceReport report = read_bounce(item.pending.data);
    log::info("list {}: bounce for member {} (from {}): {} {}", list, member, log::quoted(in.envelope_from),
              bounce_kind_name(report.kind), report.status);
    if (report.kind != BounceKind::hard || member.empty()) return finish(id);
    const ListSettings settings = read_settings(item.list->settings);
    auto self = shared_from_this();
    ctx.store.run<store::ListBounceScore>(
        [list, member, settings](store::Store& s) {
            return s.record_list_bounce(list, member, now_seconds() / 86400, settings.bounce_window_days,
                                        settings.bounce_threshold);
        },
        [self, item, member, id](store::ListBounceScore score, store::Error error) {
            if (!self->alive) return;
            const std::string& list = item.list->address;
            if (!error.empty()) return log::error("list {}: cannot count a bounce of {}: {}", list, member, error);
            if (score.disabled_now) {
                log::info("list {}: delivery to {} stopped after bounces on {} days", list, member, score.score);
                self->notify(list, disabled_member_notice(list, member, score.score));
                for (const auto& owner : people_with(*item.list, store::list_owner))
                    self->notify(list, disabled_owner_notice(list, owner, member, score.score));
            }
            self->finish(id);
        });
}

void ListEngine::State::keep_for_digest(const store::MailingList& list, std::string post,
                                        std::function<void(bool)> done) {
    auto self = shared_from_this();
    ctx.store.run<bool>(
        [address = list.address, post = std::move(post)](store::Store& s) {
            s.add_list_digest_post(address, post);
            return true;
        },
        [self, address = list.address, done = std::move(done)](bool, store::Error error) {
            if (!error.empty()) log::error("list {}: cannot keep a post for the digest: {}", address, error);
            done(error.empty());
            if (self->alive && error.empty()) self->send_due_digests({address});
        });
}

namespace {

// A list's next digest, read in one store call: nothing when none is due.
struct DueDigest {
    store::MailingList list;
    std::vector<store::ListDigestPost> posts;
};

std::optional<DueDigest> due_digest(store::Store& s, const std::string& address) {
    auto list = s.find_list(address);
    if (!list) return std::nullopt;
    const ListSettings settings = read_settings(list->settings);
    const auto max_posts = static_cast<size_t>(settings.digest_max_posts);
    auto posts = s.list_digest_posts(address, max_posts, max_digest_bytes, false);
    if (posts.empty()) return std::nullopt;
    if (receiving_members(*list, store::ListDelivery::digest).empty()) {
        // Nobody takes digests any more: the posts are not kept for them.
        s.remove_list_digest_posts(address, posts.back().id);
        return std::nullopt;
    }
    if (!digest_due(settings, {posts.size(), posts.front().created}, now_seconds())) return std::nullopt;
    posts = s.list_digest_posts(address, max_posts, max_digest_bytes, true);
    if (posts.empty()) return std::nullopt;   // the list went meanwhile (pochta list delete)
    return DueDigest{std::move(*list), std::move(posts)};
}

}  // namespace

void ListEngine::State::send_due_digests(std::vector<std::string> lists) {
    for (auto& address : lists)
        if (digesting.insert(address).second) send_digest(address);
}

// One digest of the list at a time (a post and the sweep may both find it
// due); when one is stored, the next may be due already.
void ListEngine::State::send_digest(const std::string& address) {
    auto self = shared_from_this();
    auto ended = [self, address](bool again) {
        self->digesting.erase(address);
        if (again && self->alive) self->send_due_digests({address});
    };
    ctx.store.run<std::optional<DueDigest>>(
        [address](store::Store& s) { return due_digest(s, address); },
        [self, address, ended](std::optional<DueDigest> due, store::Error error) {
            if (!self->alive) return;
            if (!error.empty()) log::error("list {}: cannot read the digest: {}", address, error);
            if (!due) return ended(false);
            const ListSettings settings = read_settings(due->list.settings);
            std::vector<std::string_view> posts;
            for (const auto& post : due->posts) posts.push_back(post.data);
            const int64_t last = due->posts.back().id;
            log::info("list {}: digest of {} post(s)", address, posts.size());
            // The posts go once the digest's copies are stored: a stop in
            // between sends them again, never loses them.
            self->send(address, receiving_members(due->list, store::ListDelivery::digest),
                       [address](const std::string& member) { return verp_address(address, member); },
                       digest_message(address, settings, posts), [self, address, last, ended](bool ok) {
                           if (!ok || !self->alive) return ended(false);
                           self->ctx.store.run<bool>(
                               [address, last](store::Store& s) {
                                   s.remove_list_digest_posts(address, last);
                                   return true;
                               },
                               [address, ended](bool, store::Error error) {
                                   if (!error.empty()) log::error("list {}: digest: {}", address, error);
                                   ended(error.empty());
                               });
                       });
        });
}

ListEngine::ListEngine(EngineContext ctx) : state_(std::make_shared<State>(ctx)) {}

ListEngine::~ListEngine() {
    sweeps_.reset();
    state_->alive = false;
}

void ListEngine::find_target(std::string address, std::function<void(std::optional<ListTarget>)> done) {
    state_->ctx.store.run<std::optional<ListTarget>>(
        [address](store::Store& s) -> std::optional<ListTarget> {
            if (s.find_list(address)) return ListTarget{address, ListCommand::post, {}};
            auto at = address.rfind('@');
            auto parsed = parse_list_command(std::string_view(address).substr(0, at));
            if (!parsed) return std::nullopt;
            std::string list = parsed->list_local + address.substr(at);
            if (!s.find_list(list)) return std::nullopt;
            return ListTarget{list, parsed->command, parsed->argument};
        },
        [done = std::move(done)](std::optional<ListTarget> target, store::Error error) {
            if (!error.empty()) log::error("list: lookup failed: {}", error);
            done(error.empty() ? std::move(target) : std::nullopt);
        });
}

void ListEngine::accept(ListTarget target, std::string envelope_from, std::string message,
                        std::function<void(store::Error)> done) {
    store::ListPending item{0, target.list, store::ListPendingKind::inbound, describe_inbound(target, envelope_from),
                            std::move(message)};
    std::weak_ptr<State> weak = state_;
    state_->ctx.store.run<int64_t>(
        [item = std::move(item)](store::Store& s) { return s.add_list_pending(item); },
        [weak, done = std::move(done)](int64_t id, store::Error error) {
            done(error);
            auto self = weak.lock();
            if (self && self->alive && error.empty()) self->process(id);
        });
}

bool ListEngine::take_bounce(const std::string& sender, std::string dsn) {
    const auto at = sender.rfind('@');
    auto parsed = parse_list_command(to_lower(std::string_view(sender).substr(0, at)));
    if (at == std::string::npos || !parsed || parsed->command != ListCommand::bounce) return false;
    std::weak_ptr<State> weak = state_;
    find_target(to_lower(sender), [this, weak, sender, dsn = std::move(dsn)](std::optional<ListTarget> target) mutable {
        auto self = weak.lock();
        if (!self || !self->alive) return;   // the engine is gone
        if (!target) return log::warn("list: bounce to {}: no such list", log::quoted(sender));
        accept(std::move(*target), "", std::move(dsn), [sender](store::Error error) {
            if (!error.empty()) log::error("list: bounce to {} not kept: {}", log::quoted(sender), error);
        });
    });
    return true;
}

void ListEngine::resume() {
    std::weak_ptr<State> weak = state_;
    state_->ctx.store.run<std::vector<int64_t>>(
        [](store::Store& s) { return s.list_pending_ids(store::ListPendingKind::inbound, resume_batch); },
        [weak](std::vector<int64_t> ids, store::Error error) {
            auto self = weak.lock();
            if (!self || !self->alive) return;
            if (!error.empty()) return log::error("list: cannot read pending items: {}", error);
            if (!ids.empty()) log::info("list: processing {} item(s) left by the last run", ids.size());
            for (int64_t id : ids) self->process(id);
        });
    state_->sweep_expired();
    if (state_->ctx.loop)
        sweeps_ = state_->ctx.loop->start_repeating(sweep_period, [weak] {
            if (auto self = weak.lock()) self->sweep_expired();
        });
}

void ListEngine::unsubscribe_one_click(std::string token, bool commit, std::function<void(OneClickOutcome)> done) {
    using State = OneClickOutcome::State;
    std::weak_ptr<ListEngine::State> weak = state_;
    state_->ctx.store.run<OneClickOutcome>(
        [token = std::move(token), commit](store::Store& s) {
            OneClickOutcome out;
            auto named = check_member_token(s.list_secret(), token);
            if (!named) return out;
            out.list = named->list;
            out.member = named->member;
            auto list = s.find_list(named->list);
            out.state = State::not_member;
            if (!list) return out;
            for (auto person : list->people) {
                if (person.address != named->member || !(person.roles & store::list_member)) continue;
                out.state = State::member;
                if (!commit) return out;
                person.roles &= ~store::list_member;
                s.set_list_person(named->list, person, "one-click:" + named->member);
                out.state = State::unsubscribed;
            }
            return out;
        },
        [weak, done = std::move(done)](OneClickOutcome outcome, store::Error error) {
            auto self = weak.lock();
            if (!self || !self->alive) return;
            if (!error.empty()) {
                log::error("list: one-click unsubscribe failed: {}", error);
                outcome.state = State::failed;
            }
            if (outcome.state == State::unsubscribed) self->announce_one_click(outcome);
            done(std::move(outcome));
        });
}

void ListEngine::moderate_by_link(std::string token, LinkDecision decision,
                                  std::function<void(ModerationOutcome)> done) {
    using State = ModerationOutcome::State;
    struct Found {
        ModerationOutcome outcome;
        std::optional<store::MailingList> list;
        std::optional<store::ListPending> held;
        std::string secret;
    };
    std::weak_ptr<ListEngine::State> weak = state_;
    state_->ctx.store.run<Found>(
        [token = std::move(token)](store::Store& s) {
            Found found;
            found.secret = s.list_secret();
            const auto id = check_token(found.secret, moderate_purpose, token);
            if (!id) return found;
            found.outcome.state = State::gone;
            auto held = s.read_list_pending(*id);
            if (!held || held->kind != store::ListPendingKind::held) return found;
            found.list = s.find_list(held->list);
            if (!found.list) return found;
            found.outcome = {State::held, held->list, held->address};
            found.held = std::move(held);
            return found;
        },
        [weak, decision, done = std::move(done)](Found found, store::Error error) mutable {
            auto self = weak.lock();
            if (!self || !self->alive) return;
            if (!error.empty()) {
                log::error("list: moderation link failed: {}", error);
                found.outcome.state = State::failed;
            }
            if (found.outcome.state == State::held && self->decided.count(found.held->id))
                found.outcome.state = State::gone;
            if (found.outcome.state != State::held || decision == LinkDecision::look) return done(found.outcome);
            const bool approve = decision == LinkDecision::approve;
            self->decide(*found.list, found.secret, *found.held, approve, "a moderator's link",
                         [done = std::move(done), outcome = found.outcome, approve](bool ok) mutable {
                             outcome.state = !ok ? State::failed : approve ? State::approved : State::rejected;
                             done(outcome);
                         });
        });
}

}  // namespace pochta::lists
