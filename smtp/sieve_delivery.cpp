#include "smtp/sieve_delivery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "common/address/address.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "smtp/sieve_messages.hpp"
#include "store/content_edit.hpp"
#include "store/keywords.hpp"
#include "store/mailbox_names.hpp"
#include "store/sha256.hpp"
#include "store/spool.hpp"

namespace pochta::smtp {
namespace {

// Redirects of one message over all its recipients (each script has its
// own cap, sieve::Budget::max_redirects): a message to many users who all
// forward it does not become a storm.
constexpr size_t max_redirects_per_message = 16;
constexpr int64_t notice_lifetime = 10LL * 365 * 86400;  // "once": as long as the script is unchanged

int local_zone_minutes(int64_t now) {
    std::time_t t = static_cast<std::time_t>(now);
    std::tm local{};
    localtime_r(&t, &local);
    return static_cast<int>(local.tm_gmtoff / 60);
}

std::string duplicate_key(const sieve::DuplicateCheck& check) {
    return "duplicate " + store::sha256_hex(check.handle + '\0' + check.id);
}

// RFC 5232: system flags by name, the rest keywords; \Recent is the server's.
void add_flags(store::Filing& filing, const std::vector<std::string>& flags) {
    static const std::pair<const char*, uint32_t> system[] = {{"\\Seen", store::flag_seen},
                                                              {"\\Answered", store::flag_answered},
                                                              {"\\Flagged", store::flag_flagged},
                                                              {"\\Deleted", store::flag_deleted},
                                                              {"\\Draft", store::flag_draft}};
    for (const auto& flag : flags) {
        if (flag.empty()) continue;
        if (flag[0] != '\\') {
            filing.keywords = store::keywords_union(filing.keywords, {flag});
            continue;
        }
        for (const auto& [name, bit] : system)
            if (iequals(flag, name)) filing.flags |= bit;
    }
}

// The header block of a message (up to and with the blank line).
std::string_view header_block(std::string_view message) {
    sieve::Message parsed(message);
    return message.substr(0, message.size() - parsed.raw_body().size());
}

size_t return_path_length(std::string_view content) {
    if (!istarts_with(content, "Return-Path:")) return 0;
    size_t end = content.find('\n');
    return end == std::string_view::npos ? 0 : end + 1;
}

// The bytes one user's copies are stored with: the part's own, or the
// header the scripts edited over the part's body.
struct Content {
    std::string data;
    std::shared_ptr<store::Spool> spool;
    size_t relay_skip = 0;
    std::string_view view() const { return spool ? spool->view() : std::string_view(data); }
};

Content with_edit(const store::Delivery& part, std::string_view message, store::ContentEdit edit, size_t relay_skip) {
    Content out;
    out.relay_skip = relay_skip;
    if (part.spool) out.spool = store::edited_spool(*part.spool, {std::move(edit)});
    else out.data = store::apply_edits(message, {std::move(edit)});
    return out;
}

void set_content(store::Delivery& delivery, const Content& content) {
    delivery.data = content.data;
    delivery.spool = content.spool;
    delivery.relay_skip = content.relay_skip;
}

// What one user's scripts made of their copy.
struct Placement {
    std::vector<store::Filing> filings;
    std::vector<std::string> redirects;
    std::optional<sieve::Reject> reject;
    std::vector<sieve::Vacation> vacations;
};

void file(Placement& placement, store::Filing filing) {
    for (auto& f : placement.filings)
        if (f.mailbox == filing.mailbox) {
            f.create = f.create || filing.create;
            f.flags |= filing.flags;
            f.keywords = store::keywords_union(f.keywords, filing.keywords);
            return;
        }
    placement.filings.push_back(std::move(filing));
}

std::string describe_all(const std::vector<sieve::Action>& actions) {
    std::string out;
    for (const auto& action : actions) out += (out.empty() ? "" : "; ") + sieve::describe(action);
    return out;
}

// The worker's side: runs every user's scripts and builds the deliveries.
class Filter {
public:
    Filter(store::Store& store, const SieveDelivery::Services& services, ScriptCache& cache,
           const SieveEnvelope& envelope)
        : store_(store), services_(services), cache_(cache), envelope_(envelope),
          directory_(services.directory.current()), now_(std::time(nullptr)) {}

    SieveOutcome run(std::vector<store::Delivery> parts) {
        size_t users = 0, rejected = 0;
        bool remote = false;
        for (auto& part : parts) {
            remote = remote || !part.remote_rcpts.empty();
            users += part.local_users.size();
            rejected += filter_part(part);
        }
        SieveOutcome outcome;
        if (users > 0 && rejected == users && !remote) {
            outcome.refusal = reject_reply(first_reason_);
            return outcome;
        }
        for (auto& part : parts)
            if (!part.local_users.empty() || !part.filings.empty() || !part.remote_rcpts.empty())
                outcome.parts.push_back(std::move(part));
        for (auto& extra : extra_) outcome.parts.push_back(std::move(extra));
        outcome.follow_ups = std::move(follow_ups_);
        return outcome;
    }

private:
    // Moves the part's users who have scripts out of local_users into
    // filings (or parts of their own); returns how many rejected it.
    size_t filter_part(store::Delivery& part) {
        size_t rejected = 0;
        std::vector<std::string> plain;
        for (const auto& user : part.local_users) {
            auto script = user_script(user);
            if (!script.script && !services_.scripts.any()) {
                plain.push_back(user);
                continue;
            }
            rejected += place_user(part, user, script) ? 1 : 0;
        }
        part.local_users = std::move(plain);
        return rejected;
    }

    UserScript user_script(const std::string& user) {
        auto active = store_.active_sieve_script(user);
        if (!active) return {};
        auto compiled = cache_.compile(active->source);
        user_sources_[user] = active->source;
        if (auto* error = std::get_if<sieve::Error>(&compiled)) {
            // Stored scripts compiled when stored; one that no longer does
            // (an older pochta's) fails like a runtime error.
            broken_[user] = fmt::format("{}:{}: {}", error->position.line, error->position.column, error->message);
            return {active->name, nullptr};
        }
        return {active->name, std::get<std::shared_ptr<const sieve::Script>>(std::move(compiled))};
    }

    sieve::Context context_for(const std::string& user) {
        sieve::Context c;
        auto rcpt = envelope_.recipient_of.find(user);
        c.envelope = {envelope_.from, rcpt == envelope_.recipient_of.end() ? user : rcpt->second, envelope_.auth};
        const Config& config = services_.config;
        c.environment = {{"domain", config.domains.empty() ? config.hostname : config.domains.front()},
                         {"host", config.hostname},
                         {"location", "MDA"},
                         {"name", "pochta"},
                         {"phase", "during"},
                         {"remote-host", envelope_.helo},
                         {"remote-ip", envelope_.client_ip},
                         {"version", "0.1.0"}};
        if (auto spam = envelope_.spam.find(user); spam != envelope_.spam.end()) {
            c.spam_score = spam->second.score;
            c.spam_percent = spam->second.percent;
        }
        c.now = now_;
        c.zone_minutes = local_zone_minutes(now_);
        store::Store& store = store_;
        ScriptCache& cache = cache_;
        c.mailbox_exists = [&store, user](std::string_view name) {
            return store.find_mailbox(user, store::canonical_mailbox_name(name)).has_value();
        };
        const int64_t now = now_;
        c.seen_before = [&store, user, now](const sieve::DuplicateCheck& check) {
            return store.sieve_marked(user, duplicate_key(check), now);
        };
        const auto global_dir = services_.scripts.global_dir;
        c.include = [&store, &cache, user, global_dir](sieve::IncludeLocation where,
                                               std::string_view name) -> std::shared_ptr<const sieve::Script> {
            if (where == sieve::IncludeLocation::global) {
                // A global name is a file name in global_dir, never a path.
                if (global_dir.empty() || name.find('/') != std::string_view::npos || name.empty() || name[0] == '.')
                    return nullptr;
                return compile_file(global_dir / (std::string(name) + ".sieve"));
            }
            auto source = store.read_sieve_script(user, std::string(name));
            if (!source) return nullptr;
            auto compiled = cache.compile(*source);
            if (std::holds_alternative<sieve::Error>(compiled)) return nullptr;
            return std::get<std::shared_ptr<const sieve::Script>>(std::move(compiled));
        };
        return c;
    }

    // Returns whether the user rejected the message.
    bool place_user(store::Delivery& part, const std::string& user, const UserScript& script) {
        const std::string_view message = store::content_of(part);
        ScriptsOutcome outcome = outcome_for(user, script, message);
        if (outcome.status != sieve::Status::ok) {
            keep_after_error(part, user, script, outcome);
            return false;
        }
        log::info("sieve queue_id={} user={} actions={}", envelope_.queue_id, user,
                  log::quoted(describe_all(outcome.actions)));
        for (const auto& note : outcome.notes) log::info("sieve queue_id={} user={} note: {}", envelope_.queue_id, user, note);
        Placement placement = place(part, user, outcome.actions);
        record_marks(user, outcome.duplicate_marks);
        const std::optional<Content> edited = edited_content(part, message, outcome);
        const std::string_view copy = edited ? edited->view() : message;
        add_vacations(user, placement.vacations, header_block(copy));
        if (placement.reject) {
            reject(user, *placement.reject, header_block(copy));
            return true;
        }
        if (!placement.redirects.empty())
            redirect(part, user, placement.redirects, edited.value_or(Content{{}, part.spool, part.relay_skip}), copy);
        store_filings(part, std::move(placement.filings), edited);
        return false;
    }

    ScriptsOutcome outcome_for(const std::string& user, const UserScript& script, std::string_view message) {
        auto broken = broken_.find(user);
        if (broken == broken_.end()) return run_scripts(services_.scripts, script, message, context_for(user));
        ScriptsOutcome outcome;
        outcome.status = sieve::Status::error;
        outcome.error = fmt::format("{}: {}", script.name, broken->second);
        outcome.user_script_failed = true;
        return outcome;
    }

    // RFC 5228 2.10.6: the message as it came, in INBOX; the user hears of it once.
    void keep_after_error(store::Delivery& part, const std::string& user, const UserScript& script,
                          const ScriptsOutcome& outcome) {
        log::warn("sieve queue_id={} user={} {} error={}: kept in INBOX", envelope_.queue_id, user,
                  outcome.user_script_failed ? "script failed" : "global script failed", log::quoted(outcome.error));
        if (outcome.user_script_failed)
            follow_ups_.notices.push_back(
                {user, script.name, outcome.error, "notice " + store::sha256_hex(user_sources_[user])});
        part.filings.push_back(store::Filing{user, "INBOX", false, 0, {}});
    }

    // The user's copy with the header the scripts left, when they edited it.
    std::optional<Content> edited_content(const store::Delivery& part, std::string_view message,
                                          const ScriptsOutcome& outcome) {
        if (!outcome.header_edited) return std::nullopt;
        std::string header;
        for (const auto& field : outcome.header) header += field.raw;
        header += "\r\n";
        const size_t old_size = header_block(message).size();
        const size_t relay_skip = return_path_length(header);
        return with_edit(part, message, {0, old_size, std::move(header)}, relay_skip);
    }

    // Unedited copies join the part; edited ones are a delivery of their own.
    void store_filings(store::Delivery& part, std::vector<store::Filing> filings, const std::optional<Content>& edited) {
        if (filings.empty()) return;
        if (!edited) {
            for (auto& filing : filings) part.filings.push_back(std::move(filing));
            return;
        }
        store::Delivery own;
        own.queue_id = part.queue_id;
        own.envelope_from = part.envelope_from;
        own.folder = part.folder;
        own.internal_date = part.internal_date;
        own.filings = std::move(filings);
        set_content(own, *edited);
        extra_.push_back(std::move(own));
    }

    Placement place(const store::Delivery& part, const std::string& user, const std::vector<sieve::Action>& actions) {
        Placement placement;
        bool dropped_redirect = false;
        for (const auto& action : actions) {
            if (const auto* keep = std::get_if<sieve::Keep>(&action)) {
                store::Filing filing{user, "", false, 0, {}};
                add_flags(filing, keep->flags);
                file(placement, std::move(filing));
            } else if (const auto* into = std::get_if<sieve::FileInto>(&action)) {
                std::string name = store::canonical_mailbox_name(into->mailbox);
                // INBOX is where keep files when no verdict says Junk.
                if (name == "INBOX" && part.folder == store::SpecialUse::none) name.clear();
                store::Filing filing{user, std::move(name), into->create, 0, {}};
                add_flags(filing, into->flags);
                file(placement, std::move(filing));
            } else if (const auto* redirect = std::get_if<sieve::Redirect>(&action)) {
                if (may_redirect(user, part, redirect->address)) placement.redirects.push_back(redirect->address);
                else dropped_redirect = true;
            } else if (const auto* reject = std::get_if<sieve::Reject>(&action)) {
                placement.reject = *reject;
            } else if (const auto* vacation = std::get_if<sieve::Vacation>(&action)) {
                placement.vacations.push_back(*vacation);
            }
        }
        // A redirect not made never loses the message: it is kept instead.
        if (dropped_redirect && placement.filings.empty() && !placement.reject)
            placement.filings.push_back(store::Filing{user, "", false, 0, {}});
        return placement;
    }

    // The loop check: a copy this user redirected before carries their
    // Delivered-To field (README.md, "Sieve at delivery").
    bool may_redirect(const std::string& user, const store::Delivery& part, const std::string& address) {
        auto target = parse_address(address);
        const char* why = nullptr;
        if (!target) why = "not an address";
        else if (iequals(target->canonical(), user)) why = "to the user's own address";
        else if (delivered_to(store::content_of(part), user)) why = "mail loop: Delivered-To names the user";
        else if (redirects_ >= max_redirects_per_message) why = "too many redirects for one message";
        if (why) {
            log::info("sieve queue_id={} user={} redirect to {} not made: {}", envelope_.queue_id, user,
                      log::quoted(address), why);
            return false;
        }
        ++redirects_;
        return true;
    }

    static bool delivered_to(std::string_view message, const std::string& user) {
        sieve::Message parsed(message);
        for (const auto& field : parsed.header())
            if (iequals(field.name, "Delivered-To") && iequals(trim(field.value), user)) return true;
        return false;
    }

    // One queued copy per user who redirects, with their Delivered-To field
    // below Return-Path; local targets get it in their INBOX (no scripts of theirs run).
    void redirect(const store::Delivery& part, const std::string& user, const std::vector<std::string>& targets,
                  const Content& content, std::string_view message) {
        store::Delivery copy;
        copy.queue_id = next_queue_id();
        copy.envelope_from = envelope_.from;
        copy.internal_date = part.internal_date;
        for (const auto& address : targets) {
            auto target = parse_address(address);
            if (!services_.config.is_local_domain(target->domain)) {
                copy.remote_rcpts.push_back(target->str());
                continue;
            }
            auto where = directory_->resolve(target->canonical());
            for (const auto& u : where.local_users) copy.local_users.push_back(u);
            for (const auto& r : where.remote) copy.remote_rcpts.push_back(r);
        }
        if (copy.local_users.empty() && copy.remote_rcpts.empty()) return;
        if (!copy.remote_rcpts.empty() && services_.forwarding)
            copy.relay_from = services_.forwarding->relay_sender(envelope_.from);
        const std::string field = fmt::format("Delivered-To: {}\r\n", user);
        store::Delivery source = part;
        set_content(source, content);
        set_content(copy, with_edit(source, message, {content.relay_skip, 0, field}, content.relay_skip));
        extra_.push_back(std::move(copy));
    }

    void reject(const std::string& user, const sieve::Reject& reject, std::string_view header) {
        if (first_reason_.empty()) first_reason_ = reject.reason;
        if (envelope_.from.empty()) return;  // RFC 5429 2.1.1: nobody to tell
        store::Delivery mdn;
        mdn.queue_id = next_queue_id();
        mdn.data = rejection_message({services_.config.hostname, envelope_.from, user, std::string(header), reject.reason});
        auto sender = parse_address(envelope_.from);
        if (sender && services_.config.is_local_domain(sender->domain)) {
            auto where = directory_->resolve(sender->canonical());
            mdn.local_users = where.local_users;
            mdn.remote_rcpts = where.remote;
        } else {
            mdn.remote_rcpts.push_back(envelope_.from);
        }
        if (!mdn.local_users.empty() || !mdn.remote_rcpts.empty()) extra_.push_back(std::move(mdn));
    }

    void add_vacations(const std::string& user, const std::vector<sieve::Vacation>& vacations, std::string_view header) {
        auto rcpt = envelope_.recipient_of.find(user);
        for (const auto& v : vacations)
            follow_ups_.vacations.push_back(VacationCall{user, rcpt == envelope_.recipient_of.end() ? user : rcpt->second,
                                                         envelope_.from, std::string(header), v});
    }

    void record_marks(const std::string& user, const std::vector<sieve::DuplicateCheck>& checks) {
        for (const auto& check : checks)
            follow_ups_.marks[user].push_back(
                store::SieveMark{duplicate_key(check), now_ + static_cast<int64_t>(check.seconds), check.last});
    }

    std::string next_queue_id() { return fmt::format("{}.{}", envelope_.queue_id, ++queued_); }

    store::Store& store_;
    const SieveDelivery::Services& services_;
    ScriptCache& cache_;
    const SieveEnvelope& envelope_;
    std::shared_ptr<const auth::Snapshot> directory_;
    const int64_t now_;
    std::map<std::string, std::string> broken_;        // user -> compile error of their stored script
    std::map<std::string, std::string> user_sources_;  // user -> their active script's source
    std::vector<store::Delivery> extra_;
    SieveFollowUps follow_ups_;
    std::string first_reason_;
    size_t redirects_ = 0;
    unsigned queued_ = 0;
};

}  // namespace

bool any_active_script(store::Store& store, const std::vector<std::string>& users) {
    for (const auto& user : users)
        if (store.active_sieve_script(user)) return true;
    return false;
}

SpamTest spam_test(double score, double reject_score) {
    const double share = reject_score > 0 ? std::clamp(score / reject_score, 0.0, 1.0) : (score > 0 ? 1.0 : 0.0);
    return SpamTest{1 + static_cast<int>(std::floor(share * 9)), static_cast<int>(std::lround(share * 100))};
}

SieveDelivery::SieveDelivery(Services services) : services_(std::move(services)) {}

void SieveDelivery::filter(SieveEnvelope envelope, std::vector<store::Delivery> parts,
                           std::function<void(SieveOutcome, store::Error)> done) {
    // One call for the whole message, on the queue of its first recipient.
    std::string key = envelope.recipient_of.empty() ? std::string() : envelope.recipient_of.begin()->first;
    auto shared_parts = std::make_shared<std::vector<store::Delivery>>(std::move(parts));
    services_.store.run<SieveOutcome>(
        [this, cache = cache_, envelope = std::move(envelope), shared_parts](store::Store& store) {
            return Filter(store, services_, *cache, envelope).run(std::move(*shared_parts));
        },
        std::move(done), std::move(key));
}

void SieveDelivery::follow_up(SieveFollowUps follow_ups, std::function<void()> recorded) {
    for (auto& call : follow_ups.vacations) {
        if (!services_.vacation) {
            log::info("sieve user={} vacation not answered: no responder", call.user);
            continue;
        }
        services_.vacation(std::move(call), [] {});
    }
    if (follow_ups.marks.empty() && follow_ups.notices.empty()) return recorded();
    const std::string hostname = services_.config.hostname;
    services_.store.run<bool>(
        [marks = std::move(follow_ups.marks), notices = std::move(follow_ups.notices), hostname](store::Store& store) {
            const int64_t now = std::time(nullptr);
            for (const auto& [user, list] : marks) store.sieve_mark(user, list, now);
            for (const auto& notice : notices) {
                if (store.sieve_marked(notice.user, notice.key, now)) continue;
                store::Delivery delivery;
                delivery.data = error_notice(hostname, notice.user, notice.script, notice.error);
                delivery.local_users = {notice.user};
                store.deliver(delivery);
                store.sieve_mark(notice.user, {store::SieveMark{notice.key, now + notice_lifetime, false}}, now);
                log::info("sieve user={} told of the failing script {}", notice.user, log::quoted(notice.script));
            }
            return true;
        },
        [recorded = std::move(recorded)](bool, store::Error error) {
            if (error) log::warn("sieve marks or notices not recorded: {}", error);
            recorded();
        });
}

}  // namespace pochta::smtp
