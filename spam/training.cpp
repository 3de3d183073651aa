// Lessons from the store (README.md, "Spam"); see training.hpp.
#include "spam/training.hpp"

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "spam/stored_sender.hpp"
#include "spam/tokenizer.hpp"
#include "store/sha256.hpp"

namespace pochta::spam {

namespace {

// Learning reads at most what the tokenizer looks at.
constexpr uint64_t max_read = TokenizerLimits{}.max_scan;
// Lessons written per transaction, so moving 10,000 messages is not one huge one.
constexpr size_t lessons_per_write = 200;

store::SpamLesson lesson_of(std::string_view message, bool spam) {
    Tokens tokens = tokenize_message(message);
    store::SpamLesson lesson;
    lesson.digest = store::sha256_hex(message);
    lesson.spam = spam;
    lesson.tokens = std::move(tokens.keys);
    lesson.senders = sender_keys(stored_sender(message, tokens.author));
    return lesson;
}

bool has_keyword(const std::vector<std::string>& keywords, std::string_view name) {
    for (const auto& k : keywords)
        if (iequals(k, name)) return true;
    return false;
}

}  // namespace

size_t learn_messages(store::Store& store, const std::string& user, int64_t mailbox_id,
                      const std::vector<uint32_t>& uids, bool spam) {
    size_t changed = 0;
    try {
        std::vector<store::SpamLesson> lessons;
        for (const auto& row : store.message_rows(mailbox_id, uids, {})) {
            std::string bytes;
            for (uint64_t at = 0; at < max_read;) {
                std::string piece = store.read_range(row.info.id, at, max_read - at);
                if (piece.empty()) break;
                at += piece.size();
                bytes += piece;
            }
            lessons.push_back(lesson_of(bytes, spam));
            if (lessons.size() == lessons_per_write) {
                changed += store.spam_learn(user, lessons);
                lessons.clear();
            }
        }
        if (!lessons.empty()) changed += store.spam_learn(user, lessons);
    } catch (const std::exception& e) {
        log::warn("spam user={} training failed: {}", user, e.what());
    }
    if (changed > 0) log::info("spam user={} learnt {} message(s) as {}", user, changed, spam ? "spam" : "ham");
    return changed;
}

void learn_from_copy(store::Store& store, const std::string& user, int64_t from_mailbox, const store::MailboxInfo& to,
                     const std::vector<uint32_t>& dest_uids) {
    if (dest_uids.empty()) return;
    if (to.special_use == store::SpecialUse::junk) {
        learn_messages(store, user, to.id, dest_uids, true);
        return;
    }
    if (to.special_use == store::SpecialUse::trash) return;   // deleting spam is not calling it good
    try {
        auto from = store.mailbox_state(from_mailbox);
        if (from && from->special_use == store::SpecialUse::junk) learn_messages(store, user, to.id, dest_uids, false);
    } catch (const std::exception& e) {
        log::warn("spam user={} training failed: {}", user, e.what());
    }
}

void learn_from_keywords(store::Store& store, const std::string& user, int64_t mailbox_id,
                         const store::FlagUpdate& update, const store::FlagResult& result) {
    if (update.op == store::FlagOp::remove || result.changed.empty()) return;
    const bool junk = has_keyword(update.keywords, "$Junk");
    const bool not_junk = has_keyword(update.keywords, "$NotJunk");
    if (junk == not_junk) return;   // neither, or both at once: no lesson
    std::vector<uint32_t> uids;
    for (const auto& m : result.changed) uids.push_back(m.uid);
    learn_messages(store, user, mailbox_id, uids, junk);
}

}  // namespace pochta::spam
