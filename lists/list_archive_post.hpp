// Posts kept in their list's archive (README.md, "Mailing lists": The
// archive; the store side is store/list_archive.hpp).
#pragma once

#include <functional>
#include <string>

#include "store/async_store.hpp"

namespace pochta::lists {

// Stores `post` (the copy as members get it) in the archive of `list` while
// it is being distributed, and returns the distribution's `done` wrapped so
// that it runs once the archive copy is stored too: a post the list marks
// processed is in its archive. A failure to archive is logged and does not
// fail the distribution (that would send the post again at the next start).
std::function<void(bool)> archive_beside(store::AsyncStore& store, const std::string& list, std::string post,
                                         std::function<void(bool)> done);

}  // namespace pochta::lists
