// SORT / UID SORT (RFC 5256, with RFC 5957's DISPLAYFROM/DISPLAYTO and
// RFC 5267's ESORT answers) and THREAD / UID THREAD (RFC 5256
// ORDEREDSUBJECT and REFERENCES), with SEARCHRES's "$" and SAVE (RFC 5182).
// On a store worker in two steps: the search over the mailbox
// (imap/search_run.hpp), then the ordering of the matches, whose structures
// and headers are read a batch of rows at a time, in order, so a 50,000
// message SORT holds one batch of message data at once (README, "IMAP").
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "imap/esearch.hpp"
#include "imap/search_run.hpp"
#include "imap/search_text.hpp"
#include "imap/session.hpp"
#include "imap/sort.hpp"
#include "imap/thread.hpp"

namespace pochta::imap {
namespace {

constexpr size_t kRowBatch = 256;
// A References field lives in the header; a header past this is cut.
constexpr uint64_t kMaxHeaderRead = 256 * 1024;

// The matches' rows, read kRowBatch at a time as the evaluators walk the
// messages in order; a row expunged meanwhile reads as an empty message.
class MatchRows {
public:
    MatchRows(store::Store& store, int64_t mailbox_id, const std::vector<SearchMatch>& matches, ContentNeed need)
        : store_(store), mailbox_id_(mailbox_id), matches_(matches), need_(need) {}

    const mime::Structure& structure(size_t index) {
        const store::MessageRow* row = load(index);
        if (parsed_ != index) {
            auto parsed = row ? mime::deserialize(row->structure) : std::nullopt;
            structure_ = parsed ? std::move(*parsed) : mime::Structure{};
            parsed_ = index;
        }
        return structure_;
    }

    std::string_view header(size_t index) {
        const store::MessageRow* row = load(index);
        if (!row) return {};
        if (row->content) return header_block(*row->content);
        uint64_t end = std::min<uint64_t>(structure(index).root.body_start, kMaxHeaderRead);
        header_ = store_.read_range(row->info.id, 0, end);
        return header_;
    }

private:
    const store::MessageRow* load(size_t index) {
        if (first_ == SIZE_MAX || index < first_ || index >= first_ + kRowBatch) fetch(index);
        uint32_t uid = matches_[index].uid;
        auto row = std::lower_bound(rows_.begin(), rows_.end(), uid,
                                    [](const store::MessageRow& r, uint32_t u) { return r.info.uid < u; });
        return row != rows_.end() && row->info.uid == uid ? &*row : nullptr;
    }
    void fetch(size_t index) {
        first_ = index - index % kRowBatch;
        std::vector<uint32_t> uids;
        for (size_t i = first_; i < std::min(matches_.size(), first_ + kRowBatch); ++i)
            uids.push_back(matches_[i].uid);
        store::RowParts parts;
        parts.structure = true;
        parts.content = need_ >= ContentNeed::header;
        rows_ = store_.message_rows(mailbox_id_, uids, parts);
        parsed_ = SIZE_MAX;
    }

    store::Store& store_;
    int64_t mailbox_id_;
    const std::vector<SearchMatch>& matches_;
    ContentNeed need_;
    size_t first_ = SIZE_MAX;
    std::vector<store::MessageRow> rows_;  // ascending UIDs
    size_t parsed_ = SIZE_MAX;
    mime::Structure structure_;
    std::string header_;
};

// SearchMessages for the sort and thread evaluators, each reading through `rows`.
std::vector<SearchMessage> messages_of(const std::vector<SearchMatch>& matches, MatchRows& rows) {
    std::vector<SearchMessage> messages(matches.size());
    for (size_t i = 0; i < matches.size(); ++i) {
        SearchMessage& m = messages[i];
        m.seq = matches[i].seq;
        m.uid = matches[i].uid;
        m.modseq = matches[i].modseq;
        m.internal_date = matches[i].internal_date;
        m.size = matches[i].size;
        m.structure = [&rows, i]() -> const mime::Structure& { return rows.structure(i); };
        m.header = [&rows, i]() { return rows.header(i); };
    }
    return messages;
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
            SearchFound found = evaluate_search(store, user, mailbox_id, command->query, context, *candidates);
            if (found.too_expensive) return Ordered{{}, {}, true};
            MatchRows rows(store, mailbox_id, found.hits, sort_content_need(command->criteria));
            std::vector<size_t> order = sort_messages(messages_of(found.hits, rows), command->criteria);
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
         user = selected_->owner, uid = cmd.uid](store::Store& store) {
            SearchFound found = evaluate_search(store, user, mailbox_id, command->query, context, *candidates);
            if (found.too_expensive) return Ordered{{}, {}, true};
            MatchRows rows(store, mailbox_id, found.hits, thread_content_need(command->algorithm));
            ThreadTree tree = thread_messages(messages_of(found.hits, rows), command->algorithm, uid);
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
