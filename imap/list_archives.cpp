// The shared namespace "Lists/" of list archives (README.md, "Mailing
// lists": The archive): its mailboxes are read-only, and a session that
// selects one hears of new posts from the archive's own store user.
#include "imap/session.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {

bool Session::refuse_list_namespace(const std::string& name) {
    if (!store::in_list_namespace(name)) return false;
    no("Mailboxes under Lists/ are read-only list archives", "CANNOT");
    return true;
}

void Session::watch_archive(const std::string& owner) {
    if (archive_notifier_id_) ctx_.notifier.remove(archive_notifier_id_);
    archive_notifier_id_ = 0;
    if (owner.empty()) return;
    archive_notifier_id_ = ctx_.notifier.add(
        owner, ref().bind([](Session& session, const store::ChangeEvent& e) { session.on_store_change(e); }));
}

}  // namespace pochta::imap
