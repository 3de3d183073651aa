// The shared namespace "Lists/" of list archives (README.md, "Mailing
// lists": The archive): a session that selects an archive hears of new
// posts from the archive's own store user.
#include "imap/session.hpp"

namespace pochta::imap {

void Session::watch_archive(const std::string& owner) {
    if (archive_notifier_id_) ctx_.notifier.remove(archive_notifier_id_);
    archive_notifier_id_ = 0;
    if (owner.empty()) return;
    archive_notifier_id_ = ctx_.notifier.add(
        owner, ref().bind([](Session& session, const store::ChangeEvent& e) { session.on_store_change(e); }));
}

}  // namespace pochta::imap
