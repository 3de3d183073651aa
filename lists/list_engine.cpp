#include "lists/list_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <deque>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "lists/list_archive_post.hpp"
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
constexpr size_t deliveries_in_flight = 8;   // copies of a post held in memory at once
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

// Members who get posts. Digest members get each post until digests
// exist (README.md, "Mailing lists": what is not done yet).
std::vector<std::string> receiving_members(const store::MailingList& list) {
    std::vector<std::string> out;
    for (const auto& p : list.people)
        if ((p.roles & store::list_member) && p.delivery != store::ListDelivery::off) out.push_back(p.address);
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
    // Sends `message` to each address: local users through the store, others
    // through the outbound queue (each with the envelope sender `envelope`
    // gives it), a local list as a post to that list. `done(ok)` when all
    // are stored.
    void send(const std::string& list, std::vector<std::string> rcpts, std::function<std::string(const std::string&)> envelope,
              std::string message, std::function<void(bool)> done);
    void notify(const std::string& list, Notice notice);

    // ---- processing
    void process(int64_t id);
    void handle(Item item);
    void finish(int64_t id);
    void handle_post(const Item& item, const Inbound& in);
    void distribute(const store::MailingList& list, std::string message, std::function<void(bool)> done);
    void hold(const Item& item, const std::string& author, bool tell_author);
    void handle_moderation(const Item& item, const Inbound& in);
    void handle_request(const Item& item, const Inbound& in);
    void handle_confirm(const Item& item, const Inbound& in);
    void refuse(const Item& item, const Inbound& in, const std::string& to, const std::string& why);
    void sweep_expired();
};

namespace {

// Deliveries of one message, at most deliveries_in_flight at once.
struct Fanout : std::enable_shared_from_this<Fanout> {
    store::AsyncStore* store = nullptr;
    std::deque<store::Delivery> waiting;
    size_t running = 0;
    bool ok = true;
    std::function<void(bool)> done;

    void next() {
        while (running < deliveries_in_flight && !waiting.empty()) {
            ++running;
            store::Delivery d = std::move(waiting.front());
            waiting.pop_front();
            store->deliver(std::move(d), [self = shared_from_this()](store::Error error) {
                if (!error.empty()) {
                    log::error("list delivery failed: {}", error);
                    self->ok = false;
                }
                --self->running;
                self->next();
            });
        }
        if (running == 0 && waiting.empty() && done) std::exchange(done, nullptr)(ok);
    }
};

store::Delivery delivery_of(const std::string& envelope, const std::string& return_path, const std::string& message) {
    store::Delivery d;
    d.queue_id = random_hex(8);
    d.envelope_from = envelope;
    const std::string prefix = smtp::return_path_header(return_path);
    d.relay_skip = prefix.size();
    d.data = prefix + message;
    return d;
}

}  // namespace

void ListEngine::State::send(const std::string& list, std::vector<std::string> rcpts,
                             std::function<std::string(const std::string&)> envelope, std::string message,
                             std::function<void(bool)> done) {
    auto fanout = std::make_shared<Fanout>();
    fanout->store = &ctx.store;
    fanout->done = std::move(done);
    const std::string owner = command_address(list, ListCommand::owner);
    auto snapshot = ctx.directory.current();
    store::Delivery local = delivery_of(owner, owner, message);
    std::vector<std::string> nested;
    for (const auto& rcpt : rcpts) {
        const bool is_local = ctx.config.is_local_domain(domain_of(rcpt));
        auth::Resolution r = is_local ? snapshot->resolve(rcpt) : auth::Resolution{true, {}, {rcpt}};
        if (!r.found) {
            nested.push_back(rcpt);
            continue;
        }
        for (auto& user : r.local_users)
            if (std::find(local.local_users.begin(), local.local_users.end(), user) == local.local_users.end())
                local.local_users.push_back(user);
        for (auto& remote : r.remote) {
            // The blob is the same for every member (one Return-Path); only
            // the envelope sender differs.
            store::Delivery d = delivery_of(envelope(remote), owner, message);
            d.remote_rcpts.push_back(remote);
            fanout->waiting.push_back(std::move(d));
        }
    }
    if (!local.local_users.empty()) fanout->waiting.push_front(std::move(local));
    auto self = shared_from_this();
    for (const auto& member : nested) {
        // A local address that is no user: another list, or nobody.
        ++fanout->running;
        self->ctx.store.run<int64_t>(
            [item = store::ListPending{0, member, store::ListPendingKind::inbound,
                                       describe_inbound({member, ListCommand::post, {}}, envelope(member)), message}](
                store::Store& s) { return s.add_list_pending(item); },
            [self, fanout, member](int64_t id, store::Error error) {
                if (!error.empty()) log::warn("list: member {} is neither a user nor a list: {}", member, error);
                else if (self->alive) self->process(id);
                --fanout->running;
                fanout->next();
            });
    }
    fanout->next();
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
        case ListCommand::bounce:
            log::info("list {}: bounce for member {} (from {})", item.list->address, verp_member(in->argument),
                      log::quoted(in->envelope_from));
            return finish(item.pending.id);
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
            return distribute(list, item.pending.data, [self = shared_from_this(), id](bool ok) {
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

void ListEngine::State::distribute(const store::MailingList& list, std::string message,
                                   std::function<void(bool)> done) {
    const ListSettings settings = read_settings(list.settings);
    const std::string author_domain = domain_of(author_address(message));
    auto go = [self = shared_from_this(), list, message = std::move(message), settings,
               done = std::move(done)](bool rewrite) mutable {
        if (!self->alive) return;
        if (rewrite) log::info("list {}: From of the post rewritten to the list", list.address);
        CopyOptions options{list.address, &settings, rewrite};
        std::string copy = list_copy(message, options);
        const std::string address = list.address;
        done = archive_beside(self->ctx.store, address, copy, std::move(done));
        self->send(address, receiving_members(list),
                   [address](const std::string& member) { return verp_address(address, member); }, std::move(copy),
                   std::move(done));
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
            auto moderators = people_with(*item.list, store::list_moderator);
            if (moderators.empty()) moderators = people_with(*item.list, store::list_owner);
            log::info("list {}: post from {} held as {} for {} moderator(s)", list, log::quoted(author), held_id,
                      moderators.size());
            for (const auto& moderator : moderators)
                self->notify(list, {moderator, fmt::format("{}: post from {} held for approval", list, author),
                                    fmt::format("A post from {} to {} waits for approval (attached).\n\n"
                                                "To approve it, reply to this message or write to\n  {}\n"
                                                "To reject it, write to\n  {}\n",
                                                author, list, approve, reject),
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
            if (!held || held->kind != store::ListPendingKind::held || held->list != list) {
                self->refuse(item, in, sender, "That post was approved, rejected or expired already.");
                return self->finish(item.pending.id);
            }
            log::info("list {}: held post {} from {} {} by {}", list, held->id, log::quoted(held->address),
                      approve ? "approved" : "rejected", log::quoted(sender));
            const int64_t approval = item.pending.id;
            const int64_t held_id = held->id;
            if (!approve) {
                self->notify(list, {held->address, fmt::format("Your post to {} was rejected", list),
                                    fmt::format("A moderator of {} rejected your post (attached).\n", list), "",
                                    held->data});
                self->finish(held_id);
                return self->finish(approval);
            }
            // The held post goes only once its copies are stored: a stop in
            // between sends it again on the next approval, never loses it.
            self->distribute(*item.list, held->data, [self, approval, held_id](bool ok) {
                if (!ok) return;
                self->finish(held_id);
                self->finish(approval);
            });
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

}  // namespace pochta::lists
