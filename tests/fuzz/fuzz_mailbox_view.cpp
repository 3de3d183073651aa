// Fuzzes the MailboxView state machine (imap/mailbox_view): the input is a
// program of operations on a model store and on one session's view of it.
//
// The model store behaves as pochta's store promises: UIDs ascend and are
// never reused, every commit raises the mailbox's MODSEQ, changed_since and
// expunged_since return rows above a MODSEQ ordered by UID. Operations:
// deliveries, flag changes and expunges by other sessions; this session's
// SELECT (load), refresh (apply, also with commits racing between reading
// the mailbox's MODSEQ and reading the rows, as the real refresh allows),
// own STORE (set_flags) and EXPUNGE (remove); take(true/false); resolve of
// a sequence set parsed from input bytes; and a raw apply of arbitrary
// (UID-ordered) rows that need not agree with the store.
//
// A model client hears only the announcements and checks, after every step:
//  - UIDs strictly ascend by sequence number, seq_of(uid_at(i)) == i;
//  - recent_count() <= exists() and matches is_recent() over the UIDs;
//    while the view saw only the store's rows, is_recent() holds exactly
//    for the UIDs this session claimed from the store (claim_recent's
//    contract: each message is \Recent for one session only);
//  - every EXPUNGE number is in 1..(the client's count then), and names the
//    UID the client has at that number (expunged_uids); EXISTS never
//    shrinks the client's count; after a take the client's count and UIDs
//    are exactly exists() and uid_at(); flag changes name a message the
//    client has, by its number and UID; no EXPUNGE with take(false);
//  - resolve() names only numbers within 1..exists(), ascending, exactly
//    the members of the set, and refuses exactly what RFC 3501 refuses.
// While the view has only seen what the store sent (no raw apply since the
// last load), also: after a refresh with nothing racing and take(true), the
// client's UIDs are the store's and the flags it knows are the store's
// (no change lost, none announced twice wrongly).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "imap/mailbox_view.hpp"
#include "imap/seqset.hpp"
#include "store/store.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;
using imap::Announcements;
using imap::MailboxView;
using imap::SeqSet;

namespace {

constexpr size_t kMaxMessages = 400;

// MAILBOX_VIEW_TRACE=1 prints the program a crashing input runs, for the report.
const bool kTrace = std::getenv("MAILBOX_VIEW_TRACE") != nullptr;

std::string show(const std::vector<uint32_t>& v) {
    std::string out = "{";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
    return out + "}";
}

std::string show(const std::vector<store::MessageInfo>& v) {
    std::string out = "{";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? " " : "") + std::to_string(v[i].uid) + "@" + std::to_string(v[i].modseq) + "/f" +
               std::to_string(v[i].flags);
    return out + "}";
}

#define TRACE(...)                                \
    do {                                          \
        if (kTrace) std::fprintf(stderr, __VA_ARGS__); \
    } while (0)

struct ModelStore {
    std::map<uint32_t, store::MessageInfo> messages;  // by UID
    std::vector<std::pair<uint32_t, uint64_t>> expunged;  // UID, MODSEQ of its expunge
    uint32_t uidnext = 1;
    uint64_t highestmodseq = 0;
    uint32_t recent_floor = 1;  // UIDs from here on are \Recent for whoever claims them

    store::MessageInfo& add(uint32_t uid, uint64_t modseq, uint32_t flags) {
        store::MessageInfo& m = messages[uid];
        m.id = uid;
        m.uid = uid;
        m.modseq = modseq;
        m.flags = flags;
        return m;
    }
    // One commit delivering `n` messages, if UIDs are left.
    void deliver(uint32_t n, uint32_t flags, bool uid_gap) {
        if (uid_gap && uidnext < UINT32_MAX - 1000) uidnext += 7;
        ++highestmodseq;
        for (uint32_t i = 0; i < n && uidnext < UINT32_MAX && messages.size() < kMaxMessages; ++i)
            add(uidnext++, highestmodseq, flags);
    }
    void set_flags(uint32_t uid, uint32_t flags) {
        auto& m = messages.at(uid);
        m.flags = flags;
        m.modseq = ++highestmodseq;
    }
    void expunge(const std::vector<uint32_t>& uids) {
        ++highestmodseq;
        for (uint32_t uid : uids)
            if (messages.erase(uid)) expunged.emplace_back(uid, highestmodseq);
    }
    std::vector<store::MessageInfo> changed_since(uint64_t modseq) const {
        std::vector<store::MessageInfo> out;
        for (const auto& [uid, m] : messages)
            if (m.modseq > modseq) out.push_back(m);
        return out;
    }
    std::vector<uint32_t> expunged_since(uint64_t modseq) const {
        std::vector<uint32_t> out;
        for (const auto& [uid, at] : expunged)
            if (at > modseq) out.push_back(uid);
        std::sort(out.begin(), out.end());
        return out;
    }
    std::vector<uint32_t> uids() const {
        std::vector<uint32_t> out;
        for (const auto& [uid, m] : messages) out.push_back(uid);
        return out;
    }
    // A UID of the store picked by `pick`, 0 when empty.
    uint32_t pick(uint32_t pick) const {
        if (messages.empty()) return 0;
        auto it = messages.begin();
        std::advance(it, pick % messages.size());
        return it->first;
    }
    // store.claim_recent(below): the caller's first \Recent UID; the
    // UIDs [first, min(below, uidnext)) are the caller's, no one else's.
    uint32_t claim(uint32_t below) {
        uint32_t first = recent_floor;
        recent_floor = std::max(recent_floor, std::min(below, uidnext));
        return first;
    }
};

// What the client knows: numbers, UIDs and flags as announced.
struct Client {
    std::vector<uint32_t> uids;
    std::map<uint32_t, uint32_t> flags;
};

class Program {
public:
    explicit Program(FuzzedDataProvider& in) : in_(in) {
        store_.uidnext = in_.ConsumeBool() ? 1 : in_.ConsumeIntegralInRange<uint32_t>(1, UINT32_MAX - 100);
        store_.recent_floor = store_.uidnext;
        store_.deliver(in_.ConsumeIntegralInRange<uint32_t>(0, 20), 0, false);
        load();
    }

    void step() {
        switch (in_.ConsumeIntegralInRange<int>(0, 12)) {
            case 0: return load();
            case 1: return other_deliver();
            case 2: return other_flags();
            case 3: return other_expunge();
            case 4: return refresh(false);
            case 5: return refresh(true);
            case 6: return own_store();
            case 7: return own_expunge();
            case 8: return take(true);
            case 9: return take(false);
            case 10: return resolve();
            case 11: return raw_apply();
            case 12: refresh(false); return take(true);
        }
    }

private:
    // --- operations ---

    void load() {
        store::MailboxSnapshot snapshot;
        snapshot.box.id = 1;
        snapshot.box.uidvalidity = 42;
        snapshot.box.uidnext = store_.uidnext;
        snapshot.box.highestmodseq = store_.highestmodseq;
        snapshot.uids = store_.uids();
        // A read-only or IMAP4rev2 session claims no \Recent.
        claims_ = in_.ConsumeBool();
        our_recent_.clear();
        uint32_t first_recent = claims_ ? claim(store_.uidnext) : 0;
        TRACE("load uids=%s uidnext=%u modseq=%llu first_recent=%u\n", show(snapshot.uids).c_str(), store_.uidnext,
              static_cast<unsigned long long>(store_.highestmodseq), first_recent);
        view_.load(snapshot, first_recent);
        client_.uids = snapshot.uids;
        client_.flags.clear();
        for (const auto& [uid, m] : store_.messages) client_.flags[uid] = m.flags;
        trusted_ = true;
        fresh_ = true;
        FUZZ_CHECK(view_.modseq() == store_.highestmodseq);
        FUZZ_CHECK(view_.uidnext() == store_.uidnext);
        check_view();
        check_client();
    }

    void other_deliver() {
        TRACE("other: deliver\n");
        store_.deliver(in_.ConsumeIntegralInRange<uint32_t>(1, 8), in_.ConsumeIntegralInRange<uint32_t>(0, 31),
                       in_.ConsumeBool());
        if (in_.ConsumeBool()) {
            TRACE("other: claims \\Recent below %u\n", store_.uidnext);
            store_.claim(store_.uidnext);  // another session selects or refreshes
        }
        fresh_ = false;
    }

    // This session's claim; what it gets is \Recent here and nowhere else.
    uint32_t claim(uint32_t below) {
        uint32_t first = store_.claim(below);
        if (store_.recent_floor > first) our_recent_.emplace_back(first, store_.recent_floor);
        return first;
    }

    bool ours(uint32_t uid) const {
        return std::any_of(our_recent_.begin(), our_recent_.end(),
                           [uid](const auto& r) { return uid >= r.first && uid < r.second; });
    }

    void other_flags() {
        uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, 4);
        for (uint32_t i = 0; i < n; ++i) {
            uint32_t uid = store_.pick(in_.ConsumeIntegral<uint32_t>());
            if (!uid) continue;
            store_.set_flags(uid, in_.ConsumeIntegralInRange<uint32_t>(0, 31));
            TRACE("other: flags uid=%u -> %u @%llu\n", uid, store_.messages[uid].flags,
                  static_cast<unsigned long long>(store_.highestmodseq));
        }
        fresh_ = false;
    }

    void other_expunge() {
        std::vector<uint32_t> uids;
        uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, 4);
        for (uint32_t i = 0; i < n; ++i) uids.push_back(store_.pick(in_.ConsumeIntegral<uint32_t>()));
        store_.expunge(uids);
        TRACE("other: expunge %s @%llu\n", show(uids).c_str(), static_cast<unsigned long long>(store_.highestmodseq));
        fresh_ = false;
    }

    // The session's refresh: the mailbox row first, then the changed rows;
    // with `race`, other commits land in between.
    void refresh(bool race) {
        uint64_t highestmodseq = store_.highestmodseq;
        uint32_t uidnext = store_.uidnext;
        if (race) {
            for (int i = in_.ConsumeIntegralInRange<int>(1, 3); i > 0; --i) {
                switch (in_.ConsumeIntegralInRange<int>(0, 2)) {
                    case 0: other_deliver(); break;
                    case 1: other_flags(); break;
                    case 2: other_expunge(); break;
                }
            }
        }
        uint64_t before = view_.modseq();
        auto changed = store_.changed_since(before);
        auto expunged = store_.expunged_since(before);
        bool new_mail = !changed.empty() && changed.back().uid > view_.max_uid();
        uint32_t first_recent = claims_ && new_mail ? claim(changed.back().uid + 1) : 0;
        TRACE("apply(changed=%s, expunged=%s, highestmodseq=%llu, uidnext=%u, first_recent=%u)%s\n",
              show(changed).c_str(), show(expunged).c_str(), static_cast<unsigned long long>(highestmodseq), uidnext,
              first_recent, race ? " [raced]" : "");
        view_.apply(changed, expunged, highestmodseq, uidnext, first_recent);
        FUZZ_CHECK(view_.modseq() == std::max(before, highestmodseq));
        FUZZ_CHECK(view_.uidnext() >= uidnext);
        if (trusted_) {
            // Everything the store has is in the view, gone ones marked.
            // (Raw rows may hold UID 2^32-1, after which no UIDNEXT fits.)
            FUZZ_CHECK(view_.live_uids() == store_.uids());
            FUZZ_CHECK(view_.exists() == 0 || view_.uidnext() > view_.max_uid());
        }
        fresh_ = !race;
        check_view();
    }

    // This session's STORE on messages the client can name.
    void own_store() {
        if (client_.uids.empty()) return;
        uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, 3);
        for (uint32_t i = 0; i < n; ++i) {
            uint32_t uid = client_.uids[in_.ConsumeIntegral<uint32_t>() % client_.uids.size()];
            auto it = store_.messages.find(uid);
            if (it == store_.messages.end()) continue;  // gone: the store changes nothing
            store_.set_flags(uid, in_.ConsumeIntegralInRange<uint32_t>(0, 31));
            TRACE("set_flags(uid=%u flags=%u modseq=%llu)\n", uid, it->second.flags,
                  static_cast<unsigned long long>(it->second.modseq));
            view_.set_flags(it->second);
            client_.flags[uid] = it->second.flags;  // the command's own FETCH response
        }
        // The client knows its own change: a caught-up view stays caught up.
        check_view();
    }

    // This session's EXPUNGE / MOVE: of messages the client can name, or
    // (EXPUNGE of every \Deleted one) of any in the store, even ones the
    // view has not seen yet.
    void own_expunge() {
        std::vector<uint32_t> uids;
        uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, 4);
        for (uint32_t i = 0; i < n; ++i) {
            uint32_t pick = in_.ConsumeIntegral<uint32_t>();
            uint32_t uid = in_.ConsumeBool() || client_.uids.empty() ? store_.pick(pick)
                                                                     : client_.uids[pick % client_.uids.size()];
            if (store_.messages.count(uid)) uids.push_back(uid);
        }
        std::sort(uids.begin(), uids.end());
        uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
        store_.expunge(uids);
        bool was_fresh = fresh_;
        TRACE("remove(%s)\n", show(uids).c_str());
        hear(view_.remove(uids), true);
        if (trusted_ && was_fresh) check_caught_up();
        fresh_ = false;
    }

    void take(bool allow_expunge) {
        bool was_fresh = fresh_;
        TRACE("take(%s)\n", allow_expunge ? "true" : "false");
        hear(view_.take(allow_expunge), allow_expunge);
        if (trusted_ && was_fresh && allow_expunge) check_caught_up();
    }

    void resolve() {
        std::string text = in_.ConsumeRandomLengthString(24);
        std::optional<SeqSet> set = SeqSet::parse(text);
        if (!set) return;
        TRACE("resolve %s\n", set->str().c_str());
        check_resolve(*set, false);
        check_resolve(*set, true);
    }

    // Rows that need not agree with the store: arbitrary MODSEQs, flags,
    // expunged UIDs, mailbox MODSEQ, UIDNEXT and \Recent claim. The one
    // promise kept is the one every store keeps: a changed row is a message
    // the view has or a new one above every UID handed out so far (UIDs are
    // never reused), and rows come ordered by UID. The checks that compare
    // with the store are off until the next load.
    void raw_apply() {
        std::vector<store::MessageInfo> changed;
        std::vector<uint32_t> expunged;
        for (int i = in_.ConsumeIntegralInRange<int>(0, 6); i > 0; --i) {
            store::MessageInfo m;
            m.uid = raw_changed_uid();
            m.modseq = in_.ConsumeIntegralInRange<uint64_t>(0, store_.highestmodseq + 10);
            m.flags = in_.ConsumeIntegralInRange<uint32_t>(0, 31);
            if (in_.ConsumeBool()) m.keywords.push_back("$k" + std::to_string(i));
            changed.push_back(m);
        }
        for (int i = in_.ConsumeIntegralInRange<int>(0, 4); i > 0; --i) expunged.push_back(raw_any_uid());
        std::stable_sort(changed.begin(), changed.end(),
                         [](const store::MessageInfo& a, const store::MessageInfo& b) { return a.uid < b.uid; });
        std::sort(expunged.begin(), expunged.end());
        uint64_t highestmodseq = in_.ConsumeIntegralInRange<uint64_t>(0, store_.highestmodseq + 10);
        uint32_t uidnext = in_.ConsumeIntegral<uint32_t>();
        uint32_t first_recent = in_.ConsumeBool() ? raw_any_uid() : 0;
        TRACE("raw apply(changed=%s, expunged=%s, highestmodseq=%llu, uidnext=%u, first_recent=%u)\n",
              show(changed).c_str(), show(expunged).c_str(), static_cast<unsigned long long>(highestmodseq), uidnext,
              first_recent);
        view_.apply(changed, expunged, highestmodseq, uidnext, first_recent);
        trusted_ = false;
        fresh_ = false;
        check_view();
    }

    // A UID the view has, or a new one (which the model store then never hands out again).
    uint32_t raw_changed_uid() {
        if (view_.exists() && in_.ConsumeBool())
            return view_.uid_at(in_.ConsumeIntegralInRange<uint32_t>(1, view_.exists()));
        if (store_.uidnext >= UINT32_MAX - 8) return view_.exists() ? view_.max_uid() : 1;
        uint32_t uid = store_.uidnext + in_.ConsumeIntegralInRange<uint32_t>(0, 5);
        store_.uidnext = uid + 1;
        return uid;
    }

    uint32_t raw_any_uid() {
        switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
            case 0: return view_.exists() ? view_.uid_at(in_.ConsumeIntegralInRange<uint32_t>(1, view_.exists())) : 1;
            case 1: return view_.max_uid() + in_.ConsumeIntegralInRange<uint32_t>(0, 5);
            case 2: return in_.ConsumeIntegralInRange<uint32_t>(0, 50);
            default: return in_.ConsumeIntegral<uint32_t>();
        }
    }

    // --- what the client hears ---

    void hear(const Announcements& a, bool allow_expunge) {
        TRACE("  heard: expunge %s (uids %s)", show(a.expunged).c_str(), show(a.expunged_uids).c_str());
        if (a.exists) TRACE(" EXISTS %u RECENT %u", *a.exists, a.recent ? *a.recent : 0);
        for (const auto& c : a.flag_changes) TRACE(" FETCH %u (UID %u FLAGS %u)", c.seq, c.info.uid, c.info.flags);
        TRACE("\n");
        FUZZ_CHECK(a.expunged.size() == a.expunged_uids.size());
        if (!allow_expunge) FUZZ_CHECK(a.expunged.empty());
        for (size_t i = 0; i < a.expunged.size(); ++i) {
            uint32_t seq = a.expunged[i];
            FUZZ_CHECK(seq >= 1 && seq <= client_.uids.size());
            FUZZ_CHECK(client_.uids[seq - 1] == a.expunged_uids[i]);
            client_.flags.erase(client_.uids[seq - 1]);
            client_.uids.erase(client_.uids.begin() + (seq - 1));
        }
        if (a.exists) {
            FUZZ_CHECK(*a.exists >= client_.uids.size());  // EXISTS never shrinks the mailbox
            FUZZ_CHECK(*a.exists == view_.exists());
            FUZZ_CHECK(a.recent && *a.recent <= *a.exists && *a.recent == view_.recent_count());
            // The client fetches what is new and so learns its flags.
            for (uint32_t seq = static_cast<uint32_t>(client_.uids.size()) + 1; seq <= *a.exists; ++seq) {
                uint32_t uid = view_.uid_at(seq);
                client_.uids.push_back(uid);
                auto it = store_.messages.find(uid);
                client_.flags[uid] = it == store_.messages.end() ? 0 : it->second.flags;
            }
        } else {
            FUZZ_CHECK(!a.recent);
        }
        check_client();
        uint32_t last = 0;
        for (const auto& change : a.flag_changes) {
            FUZZ_CHECK(change.seq >= 1 && change.seq <= client_.uids.size());
            FUZZ_CHECK(client_.uids[change.seq - 1] == change.info.uid);
            FUZZ_CHECK(change.seq > last);  // one line per message
            last = change.seq;
            client_.flags[change.info.uid] = change.info.flags;
        }
        check_view();
    }

    // --- invariants ---

    void check_view() const {
        uint32_t exists = view_.exists();
        FUZZ_CHECK(exists <= kMaxMessages + 200);
        uint32_t recent = 0;
        uint32_t expunged = 0;
        for (uint32_t seq = 1; seq <= exists; ++seq) {
            uint32_t uid = view_.uid_at(seq);
            if (seq > 1) FUZZ_CHECK(view_.uid_at(seq - 1) < uid);
            FUZZ_CHECK(view_.seq_of(uid) == seq);
            // \Recent exactly for what this session claimed.
            if (trusted_) FUZZ_CHECK(view_.is_recent(uid) == ours(uid));
            if (view_.is_recent(uid)) ++recent;
            if (view_.is_expunged(uid)) ++expunged;
        }
        FUZZ_CHECK(view_.max_uid() == (exists ? view_.uid_at(exists) : 0));
        FUZZ_CHECK(view_.recent_count() == recent);
        FUZZ_CHECK(view_.recent_count() <= exists);
        FUZZ_CHECK(view_.live_uids().size() == exists - expunged);
    }

    // The client's numbers are the view's: after any take the view has
    // nothing the client was not told about.
    void check_client() const {
        FUZZ_CHECK(client_.uids.size() == view_.exists());
        for (uint32_t seq = 1; seq <= view_.exists(); ++seq) FUZZ_CHECK(client_.uids[seq - 1] == view_.uid_at(seq));
    }

    // After a refresh with nothing racing and a take(true): the client has
    // the store's messages with the store's flags.
    void check_caught_up() const {
        TRACE("  caught up: %zu messages\n", store_.messages.size());
        FUZZ_CHECK(client_.uids == store_.uids());
        for (const auto& [uid, m] : store_.messages) {
            auto it = client_.flags.find(uid);
            FUZZ_CHECK(it != client_.flags.end() && it->second == m.flags);
        }
    }

    void check_resolve(const SeqSet& set, bool uid) const {
        uint32_t exists = view_.exists();
        std::optional<std::vector<uint32_t>> seqs = view_.resolve(set, uid);
        if (!uid) {
            bool refused = set.highest(exists) > exists || (exists == 0 && !set.empty());
            FUZZ_CHECK(seqs.has_value() == !refused);
            if (!seqs) return;
        }
        FUZZ_CHECK(seqs.has_value());
        uint32_t max = uid ? view_.max_uid() : exists;
        size_t next = 0;
        for (uint32_t seq = 1; seq <= exists; ++seq) {
            uint32_t n = uid ? view_.uid_at(seq) : seq;
            bool member = set.contains(n, max);
            bool listed = next < seqs->size() && (*seqs)[next] == seq;
            FUZZ_CHECK(member == listed);
            if (listed) ++next;
        }
        FUZZ_CHECK(next == seqs->size());  // nothing out of 1..exists, ascending
    }

    FuzzedDataProvider& in_;
    ModelStore store_;
    MailboxView view_;
    Client client_;
    bool trusted_ = true;  // the view has seen only what the store sent since the last load
    bool claims_ = false;  // this session claims \Recent (read-write IMAP4rev1)
    std::vector<std::pair<uint32_t, uint32_t>> our_recent_;  // UID ranges [first, last + 1) it claimed
    bool fresh_ = false;   // the last refresh saw every commit and nothing happened since
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    Program program(in);
    for (int steps = 0; steps < 200 && in.remaining_bytes() > 0; ++steps) program.step();
    return 0;
}
