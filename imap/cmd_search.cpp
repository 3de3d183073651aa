// SEARCH / UID SEARCH with ESEARCH's RETURN options (RFC 4731), SEARCHRES's
// SAVE and "$" (RFC 5182), and IMAP4rev2's ESEARCH-only answers (RFC 9051
// 6.4.4). The query is evaluated on a worker thread (imap/search_eval);
// message content is read only when a key needs it.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "common/util/log.hpp"
#include "imap/esearch.hpp"
#include "imap/search_eval.hpp"
#include "imap/search_index.hpp"
#include "imap/search_run.hpp"
#include "imap/session.hpp"

namespace pochta::imap {
namespace {

// The work one SEARCH may do on a store worker (README, "IMAP": SEARCH
// limits): octets of message text scanned by its string keys, and time.
constexpr uint64_t kSearchMaxOctets = 512ull << 20;
constexpr std::chrono::seconds kSearchMaxTime{15};

// A match the index gave without reading the message (its place in the
// hits): it must still be readable (README.md, "Integrity").
struct Unread {
    size_t hit = 0;
    int64_t message_id = 0;
};

// Expunged by another session while we searched, or unreadable (README.md,
// "Integrity"): not a match either way; only the latter is worth a log line.
void log_unsearchable(const std::string& user, uint32_t uid, const store::Error& error) {
    if (error.kind == store::ErrorKind::unavailable)
        log::error("imap user={} message uid={} is unavailable to SEARCH: {}", user, uid, error.message);
}

// Checks the unread matches in one go (a stat per blob file at most) and
// takes the unreadable ones out of the hits.
void drop_unreadable(store::Store& store, const std::string& user, SearchFound& found,
                     const std::vector<Unread>& unread) {
    if (unread.empty()) return;
    std::vector<int64_t> ids;
    ids.reserve(unread.size());
    for (const Unread& u : unread) ids.push_back(u.message_id);
    std::vector<std::pair<int64_t, store::Error>> failed = store.check_messages(ids);
    if (failed.empty()) return;
    std::unordered_map<int64_t, size_t> hit_of;
    for (const Unread& u : unread) hit_of.emplace(u.message_id, u.hit);
    std::vector<bool> drop(found.hits.size(), false);
    for (const auto& [id, error] : failed) {
        auto it = hit_of.find(id);
        if (it == hit_of.end()) continue;
        drop[it->second] = true;
        log_unsearchable(user, found.hits[it->second].uid, error);
    }
    std::vector<SearchMatch> kept;
    for (size_t i = 0; i < found.hits.size(); ++i)
        if (!drop[i]) kept.push_back(found.hits[i]);
    found.hits = std::move(kept);
}

// The full-text index's answers for the query's string keys, when it has
// any; the UIDs of the messages it rules out are taken out of `uids`
// (ascending), so their rows are never read.
std::optional<IndexAnswers> ask_index(store::Store& store, const std::string& user, int64_t mailbox_id,
                                      const SearchQuery& query, std::vector<uint32_t>& uids) {
    if (uids.empty() || !IndexAnswers::applies(query)) return std::nullopt;
    const std::vector<std::pair<uint32_t, int64_t>> ids = store.message_ids(mailbox_id);
    if (ids.empty()) return std::nullopt;
    auto [low, high] = std::minmax_element(ids.begin(), ids.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
    std::optional<IndexAnswers> index = IndexAnswers::ask(store, user, query, low->second, high->second);
    if (!index) return index;
    std::vector<uint32_t> kept;
    auto id = ids.begin();
    for (uint32_t uid : uids) {
        while (id != ids.end() && id->first < uid) ++id;
        const bool known = id != ids.end() && id->first == uid;
        if (!known || !index->rules_out(query.root, id->second)) kept.push_back(uid);
    }
    uids = std::move(kept);
    return index;
}

}  // namespace

std::vector<SearchCandidate> search_candidates(const MailboxView& view) {
    std::vector<SearchCandidate> candidates;
    candidates.reserve(view.exists());
    for (uint32_t seq = 1; seq <= view.exists(); seq++) {
        uint32_t uid = view.uid_at(seq);
        if (!view.is_expunged(uid)) candidates.push_back(SearchCandidate{seq, uid, view.is_recent(uid)});
    }
    return candidates;
}

SearchMessage row_message(const SearchCandidate& candidate, const store::MessageInfo& info) {
    SearchMessage m;
    m.seq = candidate.seq;
    m.uid = info.uid;
    m.modseq = wire_modseq(info.modseq);
    m.flags = info.flags;
    m.keywords = &info.keywords;
    m.internal_date = info.internal_date;
    m.save_date = info.save_date;
    m.message_id = info.id;
    m.size = info.crlf_size;
    m.recent = candidate.recent;
    return m;
}

// The view holds only UIDs: each candidate's flags, dates and sizes come
// from one read of the store's rows, in the same snapshot.
SearchFound evaluate_search(store::Store& store, const std::string& user, int64_t mailbox_id,
                            const SearchQuery& query, SearchContext context,
                            const std::vector<SearchCandidate>& candidates) {
    SearchBudget budget;
    budget.max_octets = kSearchMaxOctets;
    budget.deadline = std::chrono::steady_clock::now() + kSearchMaxTime;
    context.budget = &budget;
    std::vector<uint32_t> uids;
    uids.reserve(candidates.size());
    for (const auto& c : candidates) uids.push_back(c.uid);
    std::optional<IndexAnswers> index = ask_index(store, user, mailbox_id, query, uids);
    std::vector<store::MessageRow> rows = store.message_rows(mailbox_id, uids, {});
    bool index_answered = false;  // for the message being evaluated
    if (index)
        context.index = [&](const SearchNode& key, const SearchMessage& m) {
            std::optional<bool> known = index->answer(key, m);
            index_answered = index_answered || known.has_value();
            return known;
        };
    SearchEvaluator evaluator(query, context);
    SearchFound found;
    std::vector<Unread> unread;
    auto row = rows.begin();
    for (const SearchCandidate& candidate : candidates) {
        while (row != rows.end() && row->info.uid < candidate.uid) ++row;
        if (row == rows.end() || row->info.uid != candidate.uid) continue;  // expunged meanwhile
        const store::MessageInfo& info = row->info;
        std::optional<mime::Structure> structure;
        std::optional<std::string> raw;
        SearchMessage m = row_message(candidate, info);
        m.structure = [&]() -> const mime::Structure& {
            if (!structure) {
                auto parsed = mime::deserialize(store.message_structure(info.id));
                structure = parsed ? std::move(*parsed) : mime::Structure{};
            }
            return *structure;
        };
        m.raw = [&]() -> std::string_view {
            if (!raw) raw = store.read_message(info.id);
            return *raw;
        };
        try {
            index_answered = false;
            if (!evaluator.matches(m)) continue;
            if (index_answered && !raw) unread.push_back(Unread{found.hits.size(), info.id});
            found.hits.push_back(SearchMatch{candidate.seq, info.uid, m.modseq, m.internal_date, m.size});
        } catch (const store::StoreError& e) {
            log_unsearchable(user, info.uid, e.error());
        } catch (const SearchTooExpensive&) {
            return SearchFound{{}, true};
        }
    }
    drop_unreadable(store, user, found, unread);
    return found;
}

void Session::cmd_search(const Command& cmd) {
    SearchError error;
    auto query = parse_search(cmd.args, error);
    if (!query) return refuse_search(error, "SEARCH", requests_save(cmd.args));
    // "$" is the result saved before this command, even if it saves anew.
    substitute_saved(query->root, selected_->saved_uids);
    MailboxView& view = selected_->view;
    SearchContext context;
    context.message_count = view.exists();
    context.max_uid = view.max_uid();
    std::vector<SearchCandidate> candidates = search_candidates(view);
    int64_t mailbox_id = view.mailbox_id();
    bool uid = cmd.uid;
    bool with_modseq = uses_modseq(*query);
    if (with_modseq) enable_condstore();  // a CONDSTORE-enabling command (RFC 7162 3.1)
    auto q = std::make_shared<SearchQuery>(std::move(*query));
    auto c = std::make_shared<std::vector<SearchCandidate>>(std::move(candidates));
    run_store<SearchFound>(
        [q, context, c, mailbox_id, user = selected_->owner](store::Store& store) {
            return evaluate_search(store, user, mailbox_id, *q, context, *c);
        },
        [q, uid, with_modseq](Session& self, SearchFound result, store::Error error) {
            if (error || result.too_expensive) {
                if (error) log::warn("imap user={} search failed: {}", self.user_, error);
                if (q->options.save && self.selected_) self.selected_->saved_uids = {};
                if (result.too_expensive) return self.no("Search too expensive", "LIMIT");
                return self.no("SEARCH failed", "SERVERBUG");
            }
            std::vector<SearchHit> found, found_uids;
            for (const SearchMatch& hit : result.hits) {
                found.push_back(SearchHit{uid ? hit.uid : hit.seq, hit.modseq});
                found_uids.push_back(SearchHit{hit.uid, 0});
            }
            self.send_search_result(q->options, uid, found, with_modseq);
            // UIDs ascend with sequence numbers, so SAVE's MIN/MAX pick the same messages.
            if (q->options.save && self.selected_)
                self.selected_->saved_uids = SeqSet::from_numbers(saved_numbers(q->options, found_uids));
            self.ok(uid ? "UID SEARCH completed" : "SEARCH completed");
        });
}

// A SEARCH, SORT or THREAD whose arguments do not parse.
void Session::refuse_search(const SearchError& error, std::string_view command, bool saves) {
    if (error.kind == SearchError::Kind::syntax)
        return bad(error.reason.empty() ? fmt::format("Invalid {}", command) : error.reason);
    if (saves) selected_->saved_uids = {};  // a NO empties "$" (RFC 5182 2.1)
    if (error.kind == SearchError::Kind::limit) return no(error.reason, "LIMIT");
    no(error.reason, "BADCHARSET (UTF-8 US-ASCII)");
}

// The untagged answer: "* SEARCH" for a rev1 SEARCH without RETURN,
// otherwise ESEARCH, where rev2 reads a plain SEARCH as RETURN (ALL) and
// RETURN (SAVE) alone has no answer at all (RFC 5182 2.1).
void Session::send_search_result(SearchReturn options, bool uid, const std::vector<SearchHit>& found,
                                 bool with_modseq) {
    if (!options.requested && !imap4rev2_) return send(format_search_response(found, with_modseq));
    if (!options.requested) options.all = true;
    if (esearch_has_response(options)) send(format_esearch_response(tag_, uid, options, found, with_modseq));
}

}  // namespace pochta::imap
