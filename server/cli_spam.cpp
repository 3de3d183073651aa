// `pochta spam train ADDRESS --spam|--ham MAILBOX` (README.md, "Spam"):
// teaches the user's classifier and sender history every message of a
// mailbox, as moving them into or out of Junk would. Messages learnt the
// same way before are not counted twice.
#include <fmt/format.h>

#include <cstdio>

#include "server/cli.hpp"
#include "spam/training.hpp"
#include "store/store.hpp"

namespace pochta::cli {

int spam(const Args& args, const Config& config) {
    if (args.size() != 4 || args[0] != "train" || (args[2] != "--spam" && args[2] != "--ham")) return usage();
    const std::string& user = args[1];
    const std::string& mailbox = args[3];
    const bool as_spam = args[2] == "--spam";
    auto store = open_store(config);
    auto box = store->find_mailbox(user, mailbox);
    if (!box) return fail(fmt::format("no mailbox {} for {}", mailbox, user));
    std::vector<uint32_t> uids;
    for (const auto& message : store->list_messages(box->id)) uids.push_back(message.uid);
    size_t learnt = spam::learn_messages(*store, user, box->id, uids, as_spam);
    std::printf("learnt %zu of %zu messages as %s\n", learnt, uids.size(), as_spam ? "spam" : "ham");
    return 0;
}

}  // namespace pochta::cli
