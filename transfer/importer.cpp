#include "transfer/importer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "store/keywords.hpp"
#include "store/store.hpp"
#include "transfer/maildir_format.hpp"
#include "transfer/mbox_reader.hpp"

namespace pochta::transfer {

namespace fs = std::filesystem;

namespace {

// dovecot-uidlist holds one short line per message; anything larger than
// this is not one.
constexpr uint64_t max_uidlist_bytes = 512ull * 1024 * 1024;

// Reads a whole file of at most `limit` bytes. Never through a symbolic
// link: the Maildir belongs to a user, and an import run as root must not
// copy /etc/shadow into a mailbox because a link in cur/ points there.
std::optional<std::string> read_small_file(const fs::path& path, uint64_t limit) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<std::string> data;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= limit) {
        data.emplace(static_cast<size_t>(st.st_size), '\0');
        size_t got = 0;
        while (got < data->size()) {
            const ssize_t n = ::read(fd, data->data() + got, data->size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<size_t>(n);
        }
        data->resize(got);
    }
    ::close(fd);
    return data;
}

// Collects messages and stores them a batch at a time. One batch is stored
// (hashed, parsed, committed) on a thread of its own while the next one is
// read, so reading and storing overlap; memory holds at most two batches.
class Batcher {
public:
    Batcher(store::Store& store, int64_t mailbox_id, std::string source, const ImportOptions& options,
            TransferSummary& summary, ProgressUpdate& progress)
        : store_(store), mailbox_id_(mailbox_id), source_(std::move(source)), options_(options),
          summary_(summary), progress_(progress) {}
    ~Batcher() {
        if (in_flight_.valid()) in_flight_.wait();  // an error is already on its way up
    }
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;

    // `position` is saved with the batch this message ends (an mbox offset,
    // a count of files): where a rerun starts.
    void add(store::ImportMessage message, std::string position, uint64_t progress_units) {
        next_.bytes += message.data.size();
        next_.messages.push_back(std::move(message));
        note_position(std::move(position), progress_units);
        if (next_.messages.size() >= options_.batch_messages || next_.bytes >= options_.batch_bytes) flush();
    }
    void note_position(std::string position, uint64_t progress_units) {
        next_.position = std::move(position);
        next_.units += progress_units;
    }
    // Stores what is left and waits for every batch.
    void finish() {
        flush();
        wait();
    }

private:
    struct Batch {
        std::vector<store::ImportMessage> messages;
        uint64_t bytes = 0;
        uint64_t units = 0;
        std::string position;
    };

    void flush() {
        if (next_.messages.empty() && next_.units == 0) return;
        wait();
        stored_ = std::move(next_);
        next_ = Batch{};
        in_flight_ = std::async(std::launch::async, [this] {
            return store_.import_batch(mailbox_id_, source_, stored_.messages, stored_.position);
        });
    }

    void wait() {
        if (!in_flight_.valid()) return;
        const auto result = in_flight_.get();
        summary_.messages += result.stored;
        summary_.already_there += result.present;
        summary_.bytes += stored_.bytes;
        progress_.messages += stored_.messages.size();
        progress_.done += stored_.units;
        stored_ = Batch{};
        if (options_.progress) options_.progress(progress_);
    }

    store::Store& store_;
    int64_t mailbox_id_;
    std::string source_;
    const ImportOptions& options_;
    TransferSummary& summary_;
    ProgressUpdate& progress_;
    Batch next_;                          // being read
    Batch stored_;                        // being stored by in_flight_
    std::future<store::ImportBatchResult> in_flight_;
};

std::vector<std::string> valid_keywords(const std::vector<std::string>& names, uint64_t& dropped) {
    std::vector<std::string> out;
    for (const auto& name : names) {
        try {
            store::check_keyword(name);
            if (out.size() < store::max_keywords_per_message) out.push_back(name);
        } catch (const store::StoreError&) {
            ++dropped;
        }
    }
    return out;
}

// ---- Maildir

struct MaildirFile {
    uint32_t uid = 0;
    fs::path path;
    MaildirName name;
};

struct MaildirFolder {
    std::string name;                // the mailbox
    fs::path dir;
};

bool is_maildir(const fs::path& dir) { return fs::is_directory(dir / "cur") || fs::is_directory(dir / "new"); }

std::vector<MaildirFolder> maildir_folders(const fs::path& root, TransferSummary& summary) {
    std::vector<MaildirFolder> folders{{"INBOX", root}};
    for (const auto& entry : fs::directory_iterator(root)) {
        const std::string dir_name = entry.path().filename().string();
        if (dir_name.size() < 2 || dir_name[0] != '.' || entry.is_symlink() || !entry.is_directory() ||
            !is_maildir(entry.path()))
            continue;
        if (auto name = folder_from_maildir(dir_name))
            folders.push_back({*name, entry.path()});
        else
            summary.skipped.push_back(fmt::format("folder {}: not a Maildir++ folder name", dir_name));
    }
    // Parents before children, as the store creates them in that order.
    std::sort(folders.begin(), folders.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return folders;
}

std::vector<MaildirFile> maildir_files(const fs::path& dir, TransferSummary& summary) {
    std::vector<MaildirFile> files;
    for (const char* sub : {"cur", "new"}) {
        std::error_code ec;
        for (fs::directory_iterator it(dir / sub, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string file_name = it->path().filename().string();
            if (file_name.front() == '.') continue;
            auto name = parse_maildir_name(file_name);
            if (!name || it->is_symlink() || !it->is_regular_file()) {
                summary.skipped.push_back(fmt::format("{}: not a Maildir message file", it->path().string()));
                continue;
            }
            files.push_back({0, it->path(), std::move(*name)});
        }
    }
    return files;
}

uint64_t count_maildir_files(const std::vector<MaildirFolder>& folders) {
    uint64_t count = 0;
    for (const auto& folder : folders)
        for (const char* sub : {"cur", "new"}) {
            std::error_code ec;
            for (fs::directory_iterator it(folder.dir / sub, ec), end; !ec && it != end; it.increment(ec)) ++count;
        }
    return count;
}

// UIDs from dovecot-uidlist; files it does not list yet (delivered after
// Dovecot last looked) follow in name order, as Dovecot would number them.
// Returns the UID after the last.
uint32_t number_files(std::vector<MaildirFile>& files, const Uidlist& list) {
    std::unordered_map<std::string, uint32_t> uids;
    uids.reserve(list.entries.size());
    uint32_t next = list.uidnext;
    for (const auto& e : list.entries) {
        uids.emplace(e.base, e.uid);
        next = std::max(next, e.uid + 1);
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name.base < b.name.base; });
    for (auto& f : files)
        if (auto it = uids.find(f.name.base); it != uids.end()) f.uid = it->second;
    for (auto& f : files)
        if (f.uid == 0) f.uid = next++;
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    return next;
}

std::optional<store::ImportMessage> read_maildir_message(const MaildirFile& file,
                                                        const std::vector<std::string>& keyword_slots,
                                                        size_t max_message, TransferSummary& summary,
                                                        uint64_t& dropped_keywords) {
    struct stat st;
    if (::lstat(file.path.c_str(), &st) != 0) {
        summary.skipped.push_back(fmt::format("{}: {}", file.path.string(), std::strerror(errno)));
        return std::nullopt;
    }
    if (static_cast<uint64_t>(st.st_size) > max_message) {
        summary.skipped.push_back(fmt::format("{}: larger than {} bytes", file.path.string(), max_message));
        return std::nullopt;
    }
    auto data = read_small_file(file.path, max_message);
    if (!data) {
        summary.skipped.push_back(fmt::format("{}: cannot be read", file.path.string()));
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (char letter : file.name.keyword_letters) {
        const auto& name = keyword_slots[static_cast<size_t>(letter - 'a')];
        if (name.empty()) ++dropped_keywords;
        else names.push_back(name);
    }
    store::ImportMessage m;
    m.uid = file.uid;
    m.data = std::move(*data);
    m.flags = file.name.flags;
    m.keywords = valid_keywords(names, dropped_keywords);
    m.internal_date = st.st_mtime;  // Dovecot's received date of a Maildir file
    return m;
}

void import_maildir_folder(store::Store& store, const std::string& user, const MaildirFolder& folder,
                           const ImportOptions& options, TransferSummary& summary, ProgressUpdate& progress) {
    auto files = maildir_files(folder.dir, summary);
    Uidlist list;
    if (auto text = read_small_file(folder.dir / "dovecot-uidlist", max_uidlist_bytes)) {
        list = parse_uidlist(*text);
        if (!list.error.empty()) summary.skipped.push_back(fmt::format("{}: {}", folder.name, list.error));
        if (list.bad_lines > 0)
            summary.skipped.push_back(fmt::format("{}: {} unreadable dovecot-uidlist lines", folder.name, list.bad_lines));
    }
    const bool keep_uids = list.error.empty() && list.uidvalidity != 0;
    store::ImportTarget target;
    target.user = user;
    target.mailbox = folder.name;
    target.source = "maildir:" + fs::absolute(folder.dir).lexically_normal().string();
    if (keep_uids) {
        target.uidvalidity = list.uidvalidity;
        target.uidnext = number_files(files, list);
    } else {
        // Without UIDs to keep, name order is the order of a rerun too, and
        // the saved position is how many files were done.
        std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name.base < b.name.base; });
    }
    list = Uidlist{};  // its names are in `files` now
    const auto claim = store.claim_import(target);
    if (!claim.refused.empty()) {
        summary.skipped.push_back(fmt::format("{}: {}", folder.name, claim.refused));
        progress.done += files.size();
        return;
    }
    ++summary.folders;
    const auto keywords_file = read_small_file(folder.dir / "dovecot-keywords", 1024 * 1024);
    const auto keyword_slots = parse_keywords(keywords_file.value_or(""));
    const size_t first = keep_uids ? 0 : std::min<size_t>(parse_uint(claim.progress).value_or(0), files.size());
    progress.done += first;
    Batcher batch(store, claim.box.id, target.source, options, summary, progress);
    uint64_t dropped_keywords = 0;
    for (size_t i = first; i < files.size(); ++i) {
        const std::string position = keep_uids ? "" : std::to_string(i + 1);
        if (auto m = read_maildir_message(files[i], keyword_slots, options.max_message, summary, dropped_keywords)) {
            if (!keep_uids) m->uid = 0;
            batch.add(std::move(*m), position, 1);
        } else {
            batch.note_position(position, 1);
        }
    }
    batch.finish();
    if (dropped_keywords > 0)
        summary.skipped.push_back(
            fmt::format("{}: {} keywords left out (not in dovecot-keywords, or not IMAP atoms)", folder.name,
                        dropped_keywords));
}

void import_subscriptions(store::Store& store, const std::string& user, const fs::path& root) {
    auto text = read_small_file(root / "subscriptions", 16 * 1024 * 1024);
    if (!text) return;
    for (const auto& name : parse_subscriptions(*text)) {
        try {
            store.set_subscribed(user, name, true);
        } catch (const store::StoreError&) {
            // A subscription the store cannot keep is only a missing tick in a client.
        }
    }
}

TransferSummary import_maildir(store::Store& store, const std::string& user, const fs::path& root,
                               const ImportOptions& options) {
    TransferSummary summary;
    const auto folders = maildir_folders(root, summary);
    ProgressUpdate progress;
    progress.total = count_maildir_files(folders);
    for (const auto& folder : folders) import_maildir_folder(store, user, folder, options, summary, progress);
    import_subscriptions(store, user, root);
    return summary;
}

// ---- mbox

class File {
public:
    explicit File(const fs::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) throw std::runtime_error(fmt::format("open {}: {}", path.string(), std::strerror(errno)));
    }
    ~File() { ::close(fd_); }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

TransferSummary import_mbox(store::Store& store, const std::string& user, const fs::path& path,
                            const ImportOptions& options) {
    TransferSummary summary;
    store::ImportTarget target;
    target.user = user;
    target.mailbox = options.mailbox;
    target.source = "mbox:" + fs::absolute(path).lexically_normal().string();
    const auto claim = store.claim_import(target);
    if (!claim.refused.empty()) throw std::runtime_error(claim.refused);
    ++summary.folders;

    File file(path);
    const uint64_t start = parse_uint(claim.progress).value_or(0);
    if (start > 0 && ::lseek(file.fd(), static_cast<off_t>(start), SEEK_SET) < 0)
        throw std::runtime_error(fmt::format("seek in {}: {}", path.string(), std::strerror(errno)));
    ProgressUpdate progress;
    progress.total = fs::file_size(path);
    progress.done = start;
    MboxReader reader(
        [&](char* buffer, size_t size) {
            ssize_t n;
            do n = ::read(file.fd(), buffer, size);
            while (n < 0 && errno == EINTR);
            if (n < 0) throw std::runtime_error(fmt::format("read {}: {}", path.string(), std::strerror(errno)));
            return static_cast<size_t>(n);
        },
        options.max_message + 64 * 1024, start);
    Batcher batch(store, claim.box.id, target.source, options, summary, progress);
    uint64_t dropped_keywords = 0;
    MboxMessage m;
    while (reader.next(m)) {
        const uint64_t units = m.end - m.offset;
        if (m.too_large || m.data.size() > options.max_message) {
            summary.skipped.push_back(
                fmt::format("{} at offset {}: larger than {} bytes", path.string(), m.offset, options.max_message));
            batch.note_position(std::to_string(m.end), units);
            continue;
        }
        store::ImportMessage message;
        message.data = std::move(m.data);
        message.flags = m.flags;
        message.keywords = valid_keywords(m.keywords, dropped_keywords);
        message.internal_date = m.internal_date;
        batch.add(std::move(message), std::to_string(m.end), units);
    }
    if (!reader.error().empty()) throw std::runtime_error(fmt::format("{}: {}", path.string(), reader.error()));
    batch.finish();
    if (dropped_keywords > 0)
        summary.skipped.push_back(fmt::format("{}: {} X-Keywords that are not IMAP atoms left out", path.string(),
                                              dropped_keywords));
    return summary;
}

}  // namespace

TransferSummary import_mail(store::Store& store, const std::string& user, const fs::path& path,
                            const ImportOptions& options) {
    if (fs::is_directory(path)) {
        if (!is_maildir(path)) throw std::runtime_error(fmt::format("{} is no Maildir (no cur/ or new/)", path.string()));
        return import_maildir(store, user, path, options);
    }
    if (fs::is_regular_file(path)) return import_mbox(store, user, path, options);
    throw std::runtime_error(fmt::format("{}: no such file or folder", path.string()));
}

}  // namespace pochta::transfer
