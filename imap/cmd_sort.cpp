// SORT / UID SORT (RFC 5256, with RFC 5957's DISPLAYFROM/DISPLAYTO and
// RFC 5267's ESORT answers) and THREAD / UID THREAD (RFC 5256
// ORDEREDSUBJECT and REFERENCES), with SEARCHRES's "$" and SAVE (RFC 5182).
// On a store worker: the search over the mailbox, then the ordering of the
// matches by the keys kept for each message when it was stored
// (imap/sort_keys.hpp), read in one query with the index rows (README,
// "IMAP": SORT and THREAD).
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "imap/esearch.hpp"
#include "imap/search_run.hpp"
#include "imap/session.hpp"
#include "imap/sort.hpp"
#include "imap/sort_keys.hpp"
#include "imap/thread.hpp"

namespace pochta::imap {
namespace {

// The matches of a SORT or THREAD search, in sequence order, with their
// keys (imap/sort_keys.hpp) when the ordering needs them.
struct Keyed {
    std::vector<SearchMatch> hits;
    std::vector<KeyedMessage> keyed;  // hits[i]'s message
    bool too_expensive = false;       // the search went over its budget
};

template <typename Numbered>
std::vector<uint32_t> uids_of(const std::vector<Numbered>& messages) {
    std::vector<uint32_t> uids;
    uids.reserve(messages.size());
    for (const Numbered& m : messages) uids.push_back(m.uid);
    return uids;
}

// A keyless message, or one whose keys cannot be read, sorts as a message
// without those fields.
KeyedMessage keyed_message(const SearchMatch& m, const std::string* stored) {
    KeyedMessage k{m.seq, m.uid, m.internal_date, m.size, {}};
    if (stored)
        if (std::optional<SortKeys> keys = decode_sort_keys(*stored)) k.keys = std::move(*keys);
    return k;
}

// A query over flags, dates, sizes and UIDs (what webmail sends: ALL,
// UNDELETED, a UID range) is evaluated on the rows read with the keys, so
// the mailbox is read once.
Keyed search_rows_with_keys(store::Store& store, int64_t mailbox_id, const SearchQuery& query,
                            const SearchContext& context, const std::vector<SearchCandidate>& candidates,
                            bool need_keys) {
    std::vector<store::SortKeyRow> rows = store.sort_key_rows(mailbox_id, uids_of(candidates));
    SearchEvaluator evaluator(query, context);
    Keyed out;
    auto row = rows.begin();
    for (const SearchCandidate& candidate : candidates) {
        while (row != rows.end() && row->info.uid < candidate.uid) ++row;
        if (row == rows.end() || row->info.uid != candidate.uid) continue;  // expunged meanwhile
        SearchMessage m = row_message(candidate, row->info);
        if (!evaluator.matches(m)) continue;
        out.hits.push_back(SearchMatch{candidate.seq, m.uid, m.modseq, m.internal_date, m.size});
        out.keyed.push_back(keyed_message(out.hits.back(), need_keys ? &row->keys : nullptr));
    }
    return out;
}

// The matches of SORT and THREAD's search, with their keys. A query that
// reads message content goes through SEARCH's evaluation first
// (imap/search_run.hpp), then the matches' keys are read.
Keyed keyed_search(store::Store& store, const std::string& user, int64_t mailbox_id, const SearchQuery& query,
                   const SearchContext& context, const std::vector<SearchCandidate>& candidates, bool need_keys) {
    if (!needs_content(query))
        return search_rows_with_keys(store, mailbox_id, query, context, candidates, need_keys);
    SearchFound found = evaluate_search(store, user, mailbox_id, query, context, candidates);
    if (found.too_expensive) return Keyed{{}, {}, true};
    Keyed out;
    out.hits = std::move(found.hits);
    std::vector<store::SortKeyRow> rows;
    if (need_keys) rows = store.sort_key_rows(mailbox_id, uids_of(out.hits));
    auto row = rows.begin();
    for (const SearchMatch& m : out.hits) {
        while (row != rows.end() && row->info.uid < m.uid) ++row;
        const bool has_row = row != rows.end() && row->info.uid == m.uid;
        out.keyed.push_back(keyed_message(m, has_row ? &row->keys : nullptr));
    }
    return out;
}

struct Ordered {
    std::vector<SearchMatch> hits;  // SORT: in sort order
    std::string threads;            // THREAD: the "* THREAD" line
    bool too_expensive = false;     // the search went over its budget
};

SearchContext context_of(const MailboxView& view) {
    SearchContext context;
    context.message_count = view.exists();
    context.max_uid = view.max_uid();
    return context;
}

}  // namespace

void Session::cmd_sort(const Command& cmd) {
    SearchError error;
    std::optional<SortCommand> sort = parse_sort_command(cmd.args, error);
    if (!sort) return refuse_search(error, "SORT", requests_save(cmd.args));
    substitute_saved(sort->query.root, selected_->saved_uids);
    bool with_modseq = uses_modseq(sort->query);
    if (with_modseq) enable_condstore();
    auto command = std::make_shared<SortCommand>(std::move(*sort));
    auto candidates = std::make_shared<std::vector<SearchCandidate>>(search_candidates(selected_->view));
    run_store<Ordered>(
        [command, candidates, context = context_of(selected_->view), mailbox_id = selected_->view.mailbox_id(),
         user = selected_->owner](store::Store& store) {
            Keyed found = keyed_search(store, user, mailbox_id, command->query, context, *candidates,
                                       sort_needs_keys(command->criteria));
            if (found.too_expensive) return Ordered{{}, {}, true};
            std::vector<size_t> order = sort_messages(found.keyed, command->criteria);
            Ordered ordered;
            ordered.hits.reserve(order.size());
            for (size_t i : order) ordered.hits.push_back(found.hits[i]);
            return ordered;
        },
        [command, uid = cmd.uid, with_modseq](Session& self, Ordered result, store::Error error) {
            if (error || result.too_expensive) {
                if (command->query.options.save && self.selected_) self.selected_->saved_uids = {};
                if (result.too_expensive) return self.no("Sort too expensive", "LIMIT");
                log::warn("imap user={} sort failed: {}", self.user_, error);
                return self.no("SORT failed", "SERVERBUG");
            }
            self.finish_sort(command->query.options, uid, with_modseq, result.hits);
        });
}

// The untagged answer and the tagged status of SORT: "* SORT" without
// RETURN, ESORT's ESEARCH with it (RFC 5267 3.2); a saved result when asked.
void Session::finish_sort(const SearchReturn& options, bool uid, bool with_modseq,
                          const std::vector<SearchMatch>& sorted) {
    std::vector<SearchHit> hits, uid_hits;
    for (const SearchMatch& m : sorted) {
        hits.push_back(SearchHit{uid ? m.uid : m.seq, m.modseq});
        uid_hits.push_back(SearchHit{m.uid, m.modseq});
    }
    if (!options.requested) {
        std::vector<uint32_t> numbers;
        uint64_t highest = 0;
        for (const SearchHit& h : hits) {
            numbers.push_back(h.number);
            highest = std::max(highest, h.modseq);
        }
        send(format_sort_response(numbers, with_modseq ? std::optional<uint64_t>(highest) : std::nullopt));
    } else if (esearch_has_response(options)) {
        send(format_esearch_response(tag_, uid, options, hits, with_modseq, true));
    }
    if (options.save && selected_)
        selected_->saved_uids = SeqSet::from_numbers(saved_numbers(options, uid_hits, true));
    ok(uid ? "UID SORT completed" : "SORT completed");
}

void Session::cmd_thread(const Command& cmd) {
    SearchError error;
    std::optional<ThreadCommand> thread = parse_thread_command(cmd.args, error);
    if (!thread) return refuse_search(error, "THREAD", false);
    substitute_saved(thread->query.root, selected_->saved_uids);
    auto command = std::make_shared<ThreadCommand>(std::move(*thread));
    auto candidates = std::make_shared<std::vector<SearchCandidate>>(search_candidates(selected_->view));
    run_store<Ordered>(
        [command, candidates, context = context_of(selected_->view), mailbox_id = selected_->view.mailbox_id(),
         user = selected_->owner, uid = cmd.uid](store::Store& store) {
            Keyed found = keyed_search(store, user, mailbox_id, command->query, context, *candidates, true);
            if (found.too_expensive) return Ordered{{}, {}, true};
            ThreadTree tree = thread_messages(found.keyed, command->algorithm, uid);
            return Ordered{{}, format_thread_response(tree), false};
        },
        [uid = cmd.uid](Session& self, Ordered result, store::Error error) {
            if (error) {
                log::warn("imap user={} thread failed: {}", self.user_, error);
                return self.no("THREAD failed", "SERVERBUG");
            }
            if (result.too_expensive) return self.no("Thread too expensive", "LIMIT");
            self.send(result.threads);
            self.ok(uid ? "UID THREAD completed" : "THREAD completed");
        });
}

}  // namespace pochta::imap
