// SEARCH / UID SEARCH with ESEARCH's RETURN options (RFC 4731). The query
// is evaluated on a worker thread (imap/search_eval); message content is
// read only when a key needs it.
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "imap/esearch.hpp"
#include "imap/search_eval.hpp"
#include "imap/session.hpp"

namespace pochta::imap {
namespace {

struct Candidate {
    uint32_t seq = 0;
    store::MessageInfo info;
    bool recent = false;
};

std::vector<size_t> evaluate(store::Store& store, const SearchQuery& query, const SearchContext& context,
                             const std::vector<Candidate>& candidates) {
    SearchEvaluator evaluator(query, context);
    std::vector<size_t> hits;
    for (size_t i = 0; i < candidates.size(); i++) {
        const Candidate& c = candidates[i];
        std::optional<mime::Structure> structure;
        std::optional<std::string> raw;
        SearchMessage m;
        m.seq = c.seq;
        m.uid = c.info.uid;
        m.modseq = wire_modseq(c.info.modseq);
        m.flags = c.info.flags;
        m.keywords = &c.info.keywords;
        m.internal_date = c.info.internal_date;
        m.size = c.info.crlf_size;
        m.recent = c.recent;
        m.structure = [&]() -> const mime::Structure& {
            if (!structure) {
                auto parsed = mime::deserialize(store.message_structure(c.info.id));
                structure = parsed ? std::move(*parsed) : mime::Structure{};
            }
            return *structure;
        };
        m.raw = [&]() -> std::string_view {
            if (!raw) raw = store.read_message(c.info.id);
            return *raw;
        };
        try {
            if (evaluator.matches(m)) hits.push_back(i);
        } catch (const store::StoreError&) {
            // expunged by another session while we searched: not a match
        }
    }
    return hits;
}

}  // namespace

void Session::cmd_search(const Command& cmd) {
    SearchError error;
    auto query = parse_search(cmd.args, error);
    if (!query) {
        if (error.kind == SearchError::Kind::bad_charset) return no(error.reason, "BADCHARSET (UTF-8 US-ASCII)");
        return bad(error.reason.empty() ? "Invalid SEARCH" : error.reason);
    }
    if (query->options.save) return bad("SEARCHRES is not supported");
    MailboxView& view = selected_->view;
    SearchContext context;
    context.message_count = view.exists();
    context.max_uid = view.max_uid();
    std::vector<Candidate> candidates;
    for (uint32_t seq = 1; seq <= view.exists(); seq++) {
        const ViewMessage& m = view.at(seq);
        if (!m.expunged) candidates.push_back(Candidate{seq, m.info, m.recent});
    }
    bool uid = cmd.uid;
    bool with_modseq = uses_modseq(*query);
    if (with_modseq) enable_condstore();  // a CONDSTORE-enabling command (RFC 7162 3.1)
    auto q = std::make_shared<SearchQuery>(std::move(*query));
    auto c = std::make_shared<std::vector<Candidate>>(std::move(candidates));
    run_store<std::vector<size_t>>(
        [q, context, c](store::Store& store) { return evaluate(store, *q, context, *c); },
        [q, c, uid, with_modseq](Session& self, std::vector<size_t> hits, std::string error) {
            if (!error.empty()) {
                log::warn("imap user={} search failed: {}", self.user_, error);
                return self.no("SEARCH failed", "SERVERBUG");
            }
            std::vector<SearchHit> found;
            for (size_t i : hits) {
                const Candidate& m = (*c)[i];
                found.push_back(SearchHit{uid ? m.info.uid : m.seq, wire_modseq(m.info.modseq)});
            }
            SearchReturn r = q->options;
            if (!r.requested) {
                self.send(format_search_response(found, with_modseq));
            } else {
                r.all = r.all || !(r.min || r.max || r.count);  // RETURN () means ALL
                self.send(format_esearch_response(self.tag_, uid, r, found, with_modseq));
            }
            self.ok(uid ? "UID SEARCH completed" : "SEARCH completed");
        });
}

}  // namespace pochta::imap
