// `pochta check` (README.md, "Integrity"): every blob row is checked
// against its bytes and its references, every blob file against the rows.
#include "store/integrity.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "common/util/log.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

std::string_view to_string(IntegrityProblem::Kind kind) {
    switch (kind) {
        case IntegrityProblem::Kind::blob_missing: return "blob-missing";
        case IntegrityProblem::Kind::blob_damaged: return "blob-damaged";
        case IntegrityProblem::Kind::orphan_file: return "orphan-file";
        case IntegrityProblem::Kind::unreferenced_blob: return "unreferenced-blob";
    }
    return "unknown";
}

namespace {

struct BlobRow {
    int64_t id = 0;
    std::string sha256;
    uint64_t size = 0;
    bool is_inline = false;
    int64_t references = 0;
};

// Where a blob's bytes are wrong: empty when they are as the index says.
// A file is read in pieces, so a large one costs no memory.
std::string bytes_problem(Db& db, const BlobFiles& files, const BlobRow& blob, bool& missing) {
    Sha256 hash;
    uint64_t size = 0;
    if (blob.is_inline) {
        auto q = db.cached("SELECT inline_data FROM blobs WHERE id = ?1");
        q->bind(1, blob.id);
        std::string data = q->step() ? q->blob(0).value_or(std::string()) : std::string();
        size = data.size();
        hash.update(data);
    } else {
        if (Error e = files.check(blob.sha256, blob.size)) {
            missing = !files.exists(blob.sha256);
            return e.message;
        }
        try {
            files.scan(blob.sha256, blob.size, [&](std::string_view piece) {
                hash.update(piece);
                size += piece.size();
            });
        } catch (const StoreError& e) {
            return e.what();
        }
    }
    if (size != blob.size) return fmt::format("{} bytes, index says {}", size, blob.size);
    if (std::string actual = hash.finish(); actual != blob.sha256) return "content hash is " + actual;
    return {};
}

// One problem per message that uses the blob.
void add_message_problems(Db& db, const BlobRow& blob, IntegrityProblem::Kind kind, const std::string& detail,
                          std::vector<IntegrityProblem>& out) {
    auto q = db.cached(
        "SELECT u.address, b.name, m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
        "JOIN users u ON u.id = b.user_id WHERE m.blob_id = ?1 ORDER BY u.address, b.name, m.uid");
    q->bind(1, blob.id);
    bool any = false;
    while (q->step()) {
        any = true;
        out.push_back({kind, blob.sha256, q->text(0), q->text(1), static_cast<uint32_t>(q->int64(2)), detail});
    }
    if (!any) out.push_back({kind, blob.sha256, "", "", 0, detail + " (queued mail only)"});
}

}  // namespace

IntegrityReport SqliteStore::check_integrity(bool repair) {
    IntegrityReport report;
    std::vector<int64_t> unreferenced;
    std::set<std::string> file_rows;  // sha256 of the blobs kept as files
    {
        auto db = readers_->acquire();
        std::vector<BlobRow> blobs;
        auto q = db->cached(
            "SELECT id, sha256, size, inline_data IS NOT NULL, "
            "(SELECT count(*) FROM messages WHERE blob_id = blobs.id) + "
            "(SELECT count(*) FROM queue WHERE blob_id = blobs.id) FROM blobs ORDER BY id");
        while (q->step())
            blobs.push_back({q->int64(0), q->text(1), static_cast<uint64_t>(q->int64(2)), q->int64(3) != 0,
                             q->int64(4)});
        for (const BlobRow& blob : blobs) {
            ++report.blobs_checked;
            if (!blob.is_inline) file_rows.insert(blob.sha256);
            if (blob.references == 0) {
                report.problems.push_back(
                    {IntegrityProblem::Kind::unreferenced_blob, blob.sha256, "", "", 0, "no message or queue entry"});
                unreferenced.push_back(blob.id);
                continue;
            }
            bool missing = false;
            std::string problem = bytes_problem(*db, files_, blob, missing);
            if (problem.empty()) continue;
            add_message_problems(*db, blob,
                                 missing ? IntegrityProblem::Kind::blob_missing : IntegrityProblem::Kind::blob_damaged,
                                 problem, report.problems);
        }
    }
    // A server mid-delivery has files not committed yet: only judge alone.
    report.orphans_checked = opened_alone_;
    if (opened_alone_)
        for (const std::string& sha : files_.list())
            if (!file_rows.count(sha))
                report.problems.push_back({IntegrityProblem::Kind::orphan_file, sha, "", "", 0, "no row names it"});
    if (repair) repair_integrity(report, unreferenced);
    return report;
}

// Expunges the messages whose bytes are gone (per mailbox, one transaction
// each), drops rows nothing refers to, removes orphan files; logs each.
void SqliteStore::repair_integrity(IntegrityReport& report, const std::vector<int64_t>& unreferenced) {
    std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> lost;  // (user, mailbox) -> UIDs
    for (const auto& p : report.problems)
        if (p.kind == IntegrityProblem::Kind::blob_missing && p.uid != 0) lost[{p.user, p.mailbox}].push_back(p.uid);
    std::set<std::pair<std::string, std::string>> expunged;
    for (const auto& [where, uids] : lost) {
        auto box = find_mailbox(where.first, where.second);
        if (!box) continue;
        expunge(box->id, uids, false);
        expunged.insert(where);
    }
    if (!unreferenced.empty()) write([&](WriteOps& ops) { ops.drop_unreferenced_blobs(unreferenced); });
    for (auto& p : report.problems) {
        switch (p.kind) {
            case IntegrityProblem::Kind::blob_missing: p.repaired = expunged.count({p.user, p.mailbox}) > 0; break;
            case IntegrityProblem::Kind::blob_damaged: break;  // kept: the admin may restore the file
            case IntegrityProblem::Kind::unreferenced_blob: p.repaired = true; break;
            case IntegrityProblem::Kind::orphan_file:
                files_.remove(p.blob);
                p.repaired = true;
                break;
        }
        if (p.repaired)
            log::info("store: check repaired {} blob={} user={} mailbox={} uid={}", to_string(p.kind), p.blob,
                      p.user.empty() ? "-" : p.user, p.mailbox.empty() ? "-" : p.mailbox, p.uid);
    }
}

}  // namespace pochta::store
