// The spam filter's data in the index (README.md, "Spam"): reads on a
// pooled reader in one snapshot, writes through the group writer like
// every other change.
#include <algorithm>
#include <chrono>

#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

int64_t find_user(Db& db, const std::string& user) {
    auto q = db.cached("SELECT id FROM users WHERE address = ?1");
    q->bind(1, user);
    return q->step() ? q->int64(0) : 0;
}

constexpr int64_t seconds_per_day = 86400;

int64_t unix_now_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

uint32_t count(Stmt& q, int column) { return static_cast<uint32_t>(std::max<int64_t>(q.int64(column), 0)); }

// The corpus row and its generation, which every lesson changes.
struct CorpusRow {
    SpamCorpus corpus;
    int64_t generation = 0;
};

CorpusRow read_corpus(Db& db, int64_t user_id) {
    auto q = db.cached("SELECT spam_messages, ham_messages, generation FROM spam_corpus WHERE user_id = ?1");
    q->bind(1, user_id);
    if (!q->step()) return {};
    return {{count(*q, 0), count(*q, 1)}, q->int64(2)};
}

SpamTokenCount read_token(Db& db, int64_t user_id, uint64_t token) {
    auto q = db.cached("SELECT spam, ham FROM spam_tokens WHERE user_id = ?1 AND token = ?2");
    q->bind(1, user_id).bind(2, static_cast<int64_t>(token));
    if (!q->step()) return {};
    return {count(*q, 0), count(*q, 1)};
}

SenderHistory read_sender(Db& db, int64_t user_id, const SenderKey& key) {
    SenderHistory h{key};
    auto q = db.cached("SELECT good, bad, sent FROM sender_history WHERE user_id = ?1 AND kind = ?2 AND value = ?3");
    q->bind(1, user_id).bind(2, key.kind).bind(3, key.value);
    if (q->step()) {
        h.good = count(*q, 0);
        h.bad = count(*q, 1);
        h.sent = count(*q, 2);
    }
    return h;
}

// Adds `delta` (+1 or -1) to the spam or ham count of each token and of
// the corpus; counts never go below zero.
void add_counts(Db& db, int64_t user_id, const SpamLesson& lesson, bool spam, int delta) {
    {
        // A new row's generation comes from the clock, so a user deleted and
        // made again under a reused id cannot meet its predecessor's cached counts.
        auto q = spam ? db.cached("INSERT INTO spam_corpus(user_id, spam_messages, generation) VALUES (?1, max(?2, 0), ?3) "
                                  "ON CONFLICT(user_id) DO UPDATE SET spam_messages = max(spam_messages + ?2, 0), "
                                  "generation = generation + 1")
                      : db.cached("INSERT INTO spam_corpus(user_id, ham_messages, generation) VALUES (?1, max(?2, 0), ?3) "
                                  "ON CONFLICT(user_id) DO UPDATE SET ham_messages = max(ham_messages + ?2, 0), "
                                  "generation = generation + 1");
        q->bind(1, user_id).bind(2, int64_t{delta}).bind(3, unix_now_micros()).run();
    }
    auto q = spam ? db.cached("INSERT INTO spam_tokens(user_id, token, spam) VALUES (?1, ?2, max(?3, 0)) "
                              "ON CONFLICT(user_id, token) DO UPDATE SET spam = max(spam + ?3, 0)")
                  : db.cached("INSERT INTO spam_tokens(user_id, token, ham) VALUES (?1, ?2, max(?3, 0)) "
                              "ON CONFLICT(user_id, token) DO UPDATE SET ham = max(ham + ?3, 0)");
    for (uint64_t token : lesson.tokens) {
        q->reset();
        q->bind(1, user_id).bind(2, static_cast<int64_t>(token)).bind(3, int64_t{delta}).run();
    }
    if (delta < 0) {
        auto gone = db.cached("DELETE FROM spam_tokens WHERE user_id = ?1 AND spam = 0 AND ham = 0");
        gone->bind(1, user_id).run();
    }
}

void add_history(Db& db, int64_t user_id, const std::vector<SenderKey>& senders, bool spam, int delta, int64_t now) {
    auto q = spam ? db.cached("INSERT INTO sender_history(user_id, kind, value, bad, last) VALUES (?1, ?2, ?3, max(?4, 0), ?5) "
                              "ON CONFLICT(user_id, kind, value) DO UPDATE SET bad = max(bad + ?4, 0), last = ?5")
                  : db.cached("INSERT INTO sender_history(user_id, kind, value, good, last) VALUES (?1, ?2, ?3, max(?4, 0), ?5) "
                              "ON CONFLICT(user_id, kind, value) DO UPDATE SET good = max(good + ?4, 0), last = ?5");
    for (const auto& key : senders) {
        q->reset();
        q->bind(1, user_id).bind(2, key.kind).bind(3, key.value).bind(4, int64_t{delta}).bind(5, now).run();
    }
}

// -1: never learnt, 0: learnt as ham, 1: learnt as spam.
int learnt_as(Db& db, int64_t user_id, const std::string& digest) {
    auto q = db.cached("SELECT spam FROM spam_learnt WHERE user_id = ?1 AND digest = ?2");
    q->bind(1, user_id).bind(2, digest);
    return q->step() ? static_cast<int>(q->int64(0) != 0) : -1;
}

bool learn(Db& db, int64_t user_id, const SpamLesson& lesson, int64_t now) {
    const int before = learnt_as(db, user_id, lesson.digest);
    if (before == static_cast<int>(lesson.spam)) return false;
    if (before >= 0) {
        add_counts(db, user_id, lesson, before == 1, -1);
        add_history(db, user_id, lesson.senders, before == 1, -1, now);
    }
    add_counts(db, user_id, lesson, lesson.spam, +1);
    add_history(db, user_id, lesson.senders, lesson.spam, +1, now);
    auto q = db.cached("INSERT INTO spam_learnt(user_id, digest, spam) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT(user_id, digest) DO UPDATE SET spam = ?3");
    q->bind(1, user_id).bind(2, lesson.digest).bind(3, int64_t{lesson.spam}).run();
    return true;
}

}  // namespace

SpamProfile SqliteStore::spam_profile(const std::string& user, const std::vector<uint64_t>& tokens,
                                      const std::vector<SenderKey>& senders) {
    auto db = readers_->acquire();
    Txn snapshot(*db, Txn::Kind::deferred);
    SpamProfile out;
    const int64_t id = find_user(*db, user);
    out.tokens.resize(tokens.size());
    for (const auto& key : senders) out.senders.push_back({key});
    if (id == 0) return out;
    const CorpusRow corpus = read_corpus(*db, id);
    out.corpus = corpus.corpus;
    if (out.corpus.total() > 0) {
        std::vector<size_t> missing;
        spam_tokens_.find(id, corpus.generation, tokens, out.tokens, missing);
        for (size_t i : missing) out.tokens[i] = read_token(*db, id, tokens[i]);
        spam_tokens_.keep(id, corpus.generation, tokens, out.tokens, missing);
    }
    for (auto& history : out.senders) history = read_sender(*db, id, history.key);
    return out;
}

size_t SqliteStore::spam_learn(const std::string& user, const std::vector<SpamLesson>& lessons) {
    size_t changed = 0;
    const int64_t now = unix_now();
    write([&](WriteOps& ops) {
        ops.ensure_user(user);
        const int64_t id = find_user(ops.db(), user);
        for (const auto& lesson : lessons) changed += learn(ops.db(), id, lesson, now);
    });
    return changed;
}

void SqliteStore::spam_note_sent(const std::string& user, const std::vector<std::string>& addresses) {
    const int64_t now = unix_now();
    write([&](WriteOps& ops) {
        ops.ensure_user(user);
        const int64_t id = find_user(ops.db(), user);
        auto q = ops.db().cached(
            "INSERT INTO sender_history(user_id, kind, value, sent, last) VALUES (?1, 'address', ?2, 1, ?3) "
            "ON CONFLICT(user_id, kind, value) DO UPDATE SET sent = sent + 1, last = ?3");
        for (const auto& address : addresses) {
            q->reset();
            q->bind(1, id).bind(2, address).bind(3, now).run();
        }
    });
}

bool SqliteStore::greylist_pass(const std::string& triplet, int64_t delay_seconds, int64_t now) {
    bool pass = false;
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        prune_greylist(db, now);
        auto q = db.cached("SELECT first_seen, passed, last_seen FROM greylist WHERE triplet = ?1");
        q->bind(1, triplet);
        if (!q->step()) {
            auto add = db.cached("INSERT INTO greylist(triplet, first_seen, last_seen) VALUES (?1, ?2, ?2)");
            add->bind(1, triplet).bind(2, now).run();
            return;
        }
        const bool passed = q->int64(1) != 0;
        pass = passed || now - q->int64(0) >= delay_seconds;
        // The day a passed triplet was last seen is all pruning needs: one write a day at most.
        if (pass && (!passed || now - q->int64(2) >= seconds_per_day)) {
            auto mark = db.cached("UPDATE greylist SET passed = 1, last_seen = ?2 WHERE triplet = ?1");
            mark->bind(1, triplet).bind(2, now).run();
        }
    });
    return pass;
}

// Hourly, in the write of a greylisting check: triplets never retried go
// after two days, passed ones 35 days after they were last seen
// (README.md, "Greylisting"), so the table does not grow without end.
void SqliteStore::prune_greylist(Db& db, int64_t now) {
    int64_t last = greylist_pruned_at_.load();
    if (now - last < 3600 || !greylist_pruned_at_.compare_exchange_strong(last, now)) return;
    auto q = db.cached("DELETE FROM greylist WHERE (passed = 0 AND first_seen < ?1) OR (passed <> 0 AND last_seen < ?2)");
    q->bind(1, now - 2 * seconds_per_day).bind(2, now - 35 * seconds_per_day).run();
}

}  // namespace pochta::store
