#include "mailauth/dkim_sign.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "common/mime/address_list.hpp"
#include "common/mime/header.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "mailauth/dkim_canon.hpp"

namespace pochta::mailauth {

namespace fs = std::filesystem;

namespace {

// README.md "DKIM signing": what a reader sees and what a forger would like
// to change. From comes first; it is always signed (RFC 6376 5.4).
constexpr std::string_view signed_field_names[] = {
    "from", "sender", "reply-to", "subject", "date", "message-id", "to", "cc", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-language",
    "list-id", "list-help", "list-unsubscribe", "list-unsubscribe-post", "list-subscribe", "list-post",
    "list-owner", "list-archive", "feedback-id",
};
constexpr size_t fold_width = 72;

std::string base64_of(const Sha256& hash) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

// "h=from:from:to:..." folded after a colon where a line would grow too long.
std::string h_tag(const std::vector<std::string>& names) {
    std::string out = "h=";
    size_t line = 3;   // the tab and "h="
    for (size_t i = 0; i < names.size(); i++) {
        if (i > 0) {
            out += ':';
            line++;
            if (line + names[i].size() > fold_width) {
                out += "\r\n\t";
                line = 1;
            }
        }
        out += names[i];
        line += names[i].size();
    }
    return out;
}

std::string folded_b(std::string_view b) {
    std::string out;
    for (size_t pos = 0; pos < b.size(); pos += fold_width - 8) {
        if (pos > 0) out += "\r\n\t ";
        out += b.substr(pos, fold_width - 8);
    }
    return out;
}

// keygen and `dkim use` write by renaming into a domain folder, which
// changes that folder's mtime; a new domain changes keys_dir's. The kernel
// stamps mtimes with a coarse clock, so a second change within the same
// tick keeps the mtime: a state with an mtime from the last seconds is not
// trusted ("" = read the keys again next time).
std::string folder_state(const fs::path& keys_dir) {
    std::string out;
    bool recent = false;
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    auto add = [&](const fs::path& path) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return;
        out += fmt::format("{}:{}.{};", path.string(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        recent = recent || st.st_mtim.tv_sec + 2 >= now;
    };
    add(keys_dir);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(keys_dir, ec)) add(entry.path());
    return recent ? "" : out;
}

}  // namespace

std::vector<std::string> dkim_fields_to_sign(std::string_view message) {
    const SplitMessage split = split_message(message);
    std::vector<std::string> names;
    for (std::string_view name : signed_field_names) {
        size_t count = std::count_if(split.fields.begin(), split.fields.end(),
                                     [name](const HeaderField& f) { return iequals(f.name, name); });
        if (name == "from") count++;   // oversigned
        names.insert(names.end(), count, std::string(name));
    }
    return names;
}

std::string from_domain(std::string_view message) {
    for (const HeaderField& field : split_message(message).fields) {
        if (!iequals(field.name, "from")) continue;
        for (const auto& entry : mime::parse_address_list(mime::unfold(field.value()), 100))
            if (entry.kind == mime::AddressEntry::Kind::mailbox && entry.host) return to_lower(*entry.host);
        return "";
    }
    return "";
}

std::string dkim_signature_field(std::string_view message, const DkimSigningKey& key, int64_t now) {
    const SplitMessage split = split_message(message);
    const std::vector<std::string> names = dkim_fields_to_sign(message);
    const BodyHash body = hash_body(split.body, DkimCanon::relaxed);
    std::string field = fmt::format(
        "DKIM-Signature: v=1; a={}-sha256; c=relaxed/relaxed;\r\n\td={}; s={}; t={};\r\n\t{};\r\n\tbh={};\r\n\tb=",
        dkim_key_type_name(key.type), key.domain, key.selector, now, h_tag(names), base64_of(body.hash));
    const Sha256 hash = hash_headers(split.fields, names, field, DkimCanon::relaxed);
    return field + folded_b(base64_encode(sign_hash(key.key.get(), key.type, hash))) + "\r\n";
}

DkimSigner::DkimSigner(fs::path keys_dir, std::chrono::steady_clock::duration look_period)
    : keys_dir_(std::move(keys_dir)), look_period_(look_period) {}

std::shared_ptr<const DkimSigner::KeyMap> DkimSigner::load() const {
    auto keys = std::make_shared<KeyMap>();
    for (const DkimKeyInfo& info : list_dkim_keys(keys_dir_)) {
        if (!info.active) continue;
        PKey key = read_private_key(info.file, info.type);
        if (!key) throw std::runtime_error("cannot read " + info.file.string());
        (*keys)[info.domain].push_back(DkimSigningKey{info.domain, info.selector, info.type, std::move(key)});
    }
    for (auto& [domain, list] : *keys)
        std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.type < b.type; });
    return keys;
}

void DkimSigner::reload() {
    std::lock_guard lock(mutex_);
    state_.clear();
    next_look_ = {};
}

std::shared_ptr<const DkimSigner::KeyMap> DkimSigner::current() {
    std::lock_guard lock(mutex_);
    // README.md "DKIM signing": the folders are looked at once a second at
    // most; a busy relay would otherwise pay their stat calls per message.
    const auto now = std::chrono::steady_clock::now();
    if (keys_ && now < next_look_) return keys_;
    next_look_ = now + look_period_;
    std::string state = folder_state(keys_dir_);
    if (keys_ && !state.empty() && state == state_) return keys_;
    state_ = std::move(state);
    try {
        keys_ = load();
        std::string summary;
        for (const auto& [domain, list] : *keys_)
            for (const auto& key : list) summary += fmt::format(" {}/{}/{}", domain, key.selector, dkim_key_type_name(key.type));
        if (summary != summary_)
            log::info("dkim: signing keys (domain/selector/algorithm):{}", summary.empty() ? " none" : summary);
        summary_ = std::move(summary);
    } catch (const std::exception& e) {
        log::error("dkim: reading the keys in {} failed, keeping the previous ones: {}", keys_dir_.string(), e.what());
        if (!keys_) keys_ = std::make_shared<KeyMap>();
    }
    return keys_;
}

// The domain itself or its closest parent with keys (a DSN from
// mail.example.org is signed for example.org, aligned for DMARC).
const std::vector<DkimSigningKey>* DkimSigner::keys_for(const KeyMap& keys, std::string_view domain) const {
    std::string name = to_lower(domain);
    while (name.find('.') != std::string::npos) {
        auto it = keys.find(name);
        if (it != keys.end()) return &it->second;
        name.erase(0, name.find('.') + 1);
    }
    return nullptr;
}

std::string DkimSigner::sign(std::string_view message, std::string_view envelope_domain) {
    const auto keys = current();
    const auto* list = keys_for(*keys, from_domain(message));
    if (!list) list = keys_for(*keys, envelope_domain);
    if (!list) return "";
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string fields;
    for (const auto& key : *list) fields += dkim_signature_field(message, key, now);
    return fields;
}

}  // namespace pochta::mailauth
