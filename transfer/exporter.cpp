#include "transfer/exporter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "store/store.hpp"
#include "transfer/maildir_format.hpp"

namespace pochta::transfer {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t read_piece = 4 * 1024 * 1024;

[[noreturn]] void fail_errno(std::string_view what, const fs::path& path) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("write", path);
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void write_file(const fs::path& path, std::string_view data) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail_errno("create", path);
    try {
        write_all(fd, data, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) fail_errno("close", path);
}

void make_maildir(const fs::path& dir, bool subfolder) {
    for (const char* sub : {"", "cur", "new", "tmp"})
        if (::mkdir((dir / sub).c_str(), 0700) != 0 && errno != EEXIST) fail_errno("mkdir", dir / sub);
    // Dovecot's mark of a Maildir++ subfolder.
    if (subfolder) write_file(dir / "maildirfolder", "");
}

// Keyword names to the letters a-z of one folder, in order of first use.
class KeywordLetters {
public:
    // The letters of these keywords; those past the 26th distinct one are counted in `lost`.
    std::string letters(const std::vector<std::string>& keywords, uint64_t& lost) {
        std::string out;
        for (const auto& k : keywords) {
            auto it = index_.find(to_lower(k));
            if (it == index_.end()) {
                if (names_.size() >= maildir_keyword_slots) {
                    ++lost;
                    continue;
                }
                it = index_.emplace(to_lower(k), names_.size()).first;
                names_.push_back(k);
            }
            out += static_cast<char>('a' + it->second);
        }
        return out;
    }
    std::string file() const {
        std::string out;
        for (size_t i = 0; i < names_.size(); ++i) out += fmt::format("{} {}\n", i, names_[i]);
        return out;
    }
    bool empty() const { return names_.empty(); }

private:
    std::map<std::string, size_t> index_;
    std::vector<std::string> names_;
};

// Streams one message into tmp/, then moves it into cur/ under its final
// name with the received date as its mtime.
bool export_message(store::Store& store, const store::MessageInfo& m, const fs::path& dir, const std::string& base,
                    const std::string& info) {
    const fs::path tmp = dir / "tmp" / base;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail_errno("create", tmp);
    try {
        for (uint64_t offset = 0; offset < m.size;) {
            const std::string piece = store.read_range(m.id, offset, read_piece);
            if (piece.empty()) break;
            write_all(fd, piece, tmp);
            offset += piece.size();
        }
    } catch (const store::StoreError&) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return false;
    }
    const timespec times[2] = {{m.internal_date, 0}, {m.internal_date, 0}};
    ::futimens(fd, times);
    if (::close(fd) != 0) fail_errno("close", tmp);
    const fs::path final_path = dir / "cur" / (base + info);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) fail_errno("rename to", final_path);
    return true;
}

void export_mailbox(store::Store& store, const store::MailboxInfo& box, const fs::path& dir, bool subfolder,
                    const ExportOptions& options, TransferSummary& summary, ProgressUpdate& progress) {
    make_maildir(dir, subfolder);
    std::string uidlist = uidlist_header(box.uidvalidity, box.uidnext);
    KeywordLetters keywords;
    uint64_t lost_keywords = 0;
    for (const auto& m : store.list_messages(box.id)) {
        const std::string base = fmt::format("{}.M{}U{}.pochta,S={},W={}", m.internal_date, box.id, m.uid, m.size,
                                             m.crlf_size);
        const std::string info = maildir_info(m.flags, keywords.letters(m.keywords, lost_keywords));
        if (!export_message(store, m, dir, base, info)) {
            summary.skipped.push_back(fmt::format("{} UID {}: expunged during the export", box.name, m.uid));
            continue;
        }
        uidlist += fmt::format("{} :{}\n", m.uid, base);
        ++summary.messages;
        summary.bytes += m.size;
        ++progress.messages;
        if (options.progress && ++progress.done % 500 == 0) options.progress(progress);
    }
    if (!keywords.empty()) write_file(dir / "dovecot-keywords", keywords.file());
    write_file(dir / "dovecot-uidlist", uidlist);
    if (lost_keywords > 0)
        summary.skipped.push_back(
            fmt::format("{}: {} keywords left out (Maildir has letters for 26 per folder)", box.name, lost_keywords));
    ++summary.folders;
}

void require_empty(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
        throw std::runtime_error(fmt::format("{} is not empty", dir.string()));
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
}

// Everything written reaches the disk before the command says it is done.
void sync_tree(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail_errno("open", dir);
    const int rc = ::syncfs(fd);
    ::close(fd);
    if (rc != 0) fail_errno("syncfs", dir);
}

}  // namespace

TransferSummary export_mail(store::Store& store, const std::string& user, const fs::path& dir,
                            const ExportOptions& options) {
    require_empty(dir);
    TransferSummary summary;
    ProgressUpdate progress;
    const auto boxes = store.list_mailboxes(user);
    if (boxes.empty()) throw std::runtime_error(fmt::format("{} has no mailboxes", user));
    for (const auto& box : boxes) progress.total += box.messages;
    for (const auto& box : boxes) {
        const auto folder = maildir_from_folder(box.name);
        if (!folder) {
            summary.skipped.push_back(
                fmt::format("{}: the name cannot be a Maildir++ folder ('.' or a level starting with '~')", box.name));
            continue;
        }
        export_mailbox(store, box, dir / *folder, !folder->empty(), options, summary, progress);
    }
    write_file(dir / "subscriptions", subscriptions_file(store.subscriptions(user)));
    sync_tree(dir);
    if (options.progress) options.progress(progress);
    return summary;
}

}  // namespace pochta::transfer
