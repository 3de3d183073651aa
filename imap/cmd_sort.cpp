// SORT / UID SORT (RFC 5256, with RFC 5957's DISPLAYFROM/DISPLAYTO and
// RFC 5267's ESORT answers) and THREAD / UID THREAD (RFC 5256
// ORDEREDSUBJECT and REFERENCES), with SEARCHRES's "$" and SAVE (RFC 5182).
// On a store worker in two steps: the search over the mailbox
// (imap/search_run.hpp), then the ordering of the matches by the keys kept
// for each message when it was stored (imap/sort_keys.hpp), read in one
// query (README, "IMAP": SORT and THREAD).
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

// The matches with their sort keys (imap/sort_keys.hpp), read in one
// query when `need_keys`. A match expunged meanwhile, or whose keys
// cannot be read, sorts as a message without those fields.
std::vector<KeyedMessage> keyed_matches(store::Store& store, int64_t mailbox_id,
                                        const std::vector<SearchMatch>& matches, bool need_keys) {
    std::vector<KeyedMessage> keyed(matches.size());
    std::vector<uint32_t> uids(matches.size());
    for (size_t i = 0; i < matches.size(); ++i) {
        const SearchMatch& m = matches[i];
        keyed[i] = KeyedMessage{m.seq, m.uid, m.internal_date, m.size, {}};
        uids[i] = m.uid;
    }
    if (!need_keys) return keyed;
    // Matches are in sequence order, so their UIDs ascend, as the rows' do.
    auto next = keyed.begin();
    for (const store::SortKeyRow& row : store.sort_key_rows(mailbox_id, uids)) {
        next = std::lower_bound(next, keyed.end(), row.uid,
                                [](const KeyedMessage& k, uint32_t uid) { return k.uid < uid; });
        if (next == keyed.end()) break;
        if (next->uid != row.uid) continue;
        if (std::optional<SortKeys> keys = decode_sort_keys(row.keys)) next->keys = std::move(*keys);
    }
    return keyed;
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
         user = user_](store::Store& store) {
            SearchFound found = evaluate_search(store, user, mailbox_id, command->query, context, *candidates);
            if (found.too_expensive) return Ordered{{}, {}, true};
            std::vector<KeyedMessage> keyed =
                keyed_matches(store, mailbox_id, found.hits, sort_needs_keys(command->criteria));
            std::vector<size_t> order = sort_messages(keyed, command->criteria);
            Ordered ordered;
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
         user = user_, uid = cmd.uid](store::Store& store) {
            SearchFound found = evaluate_search(store, user, mailbox_id, command->query, context, *candidates);
            if (found.too_expensive) return Ordered{{}, {}, true};
            ThreadTree tree = thread_messages(keyed_matches(store, mailbox_id, found.hits, true), command->algorithm, uid);
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
