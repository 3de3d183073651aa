// `pochta index rebuild [ADDRESS]` (README.md, "Full-text search"): the
// full-text index of one user, or of every user of the users file, made
// anew from the stored mail, beside a running server.
#include <fmt/format.h>

#include <cstdio>

#include "common/auth/users_file.hpp"
#include "imap/search_index.hpp"
#include "server/cli.hpp"
#include "store/store.hpp"

namespace pochta::cli {

store::TextIndexOptions text_index_options(const Config& config) {
    store::TextIndexOptions options;
    options.make = imap::make_indexed_text;
    options.max_message_size = config.search.max_indexed_size;
    return options;
}

int index(const Args& args, const Config& config) {
    if (args.empty() || args.size() > 2 || args[0] != "rebuild") return usage();
    if (!config.search.index) return fail("[search] index = false: there is no index to rebuild");
    std::vector<std::string> users;
    if (args.size() == 2) users.push_back(args[1]);
    else users = auth::list_users(config);
    auto store = open_store(config);
    int status = 0;
    for (const std::string& user : users) {
        try {
            size_t indexed = store->rebuild_text_index(user, text_index_options(config));
            std::printf("%s: %zu messages indexed\n", user.c_str(), indexed);
        } catch (const store::StoreError& e) {
            if (e.kind() != store::ErrorKind::nonexistent || args.size() == 2) status = fail(e.what());
        }
    }
    return status;
}

}  // namespace pochta::cli
