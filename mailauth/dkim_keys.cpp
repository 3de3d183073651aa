#include "mailauth/dkim_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common/config/config.hpp"
#include "common/util/private_file.hpp"
#include "common/util/strings.hpp"
#include "mailauth/dkim_crypto.hpp"

namespace pochta::mailauth {

namespace fs = std::filesystem;

namespace {

constexpr DkimKeyType all_types[] = {DkimKeyType::rsa, DkimKeyType::ed25519};
constexpr size_t max_txt_string = 255;

fs::path key_file(const fs::path& dir, std::string_view selector, DkimKeyType type) {
    return dir / fmt::format("{}.{}.key", selector, dkim_key_type_name(type));
}

fs::path active_file(const fs::path& dir, DkimKeyType type) {
    return dir / fmt::format("{}.active", dkim_key_type_name(type));
}

std::string active_selector(const fs::path& dir, DkimKeyType type) {
    std::ifstream in(active_file(dir, type));
    std::string line;
    std::getline(in, line);
    return std::string(trim(line));
}

// "SELECTOR.TYPE.key" -> selector and type.
bool parse_key_name(const std::string& name, std::string& selector, DkimKeyType& type) {
    if (!name.ends_with(".key")) return false;
    const std::string stem = name.substr(0, name.size() - 4);
    const size_t dot = stem.rfind('.');
    if (dot == std::string::npos) return false;
    auto parsed = parse_dkim_key_type(stem.substr(dot + 1));
    selector = stem.substr(0, dot);
    if (!parsed || !is_valid_dkim_selector(selector)) return false;
    type = *parsed;
    return true;
}

void list_domain(const fs::path& dir, const std::string& domain, std::vector<DkimKeyInfo>& out) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        DkimKeyInfo key;
        if (!entry.is_regular_file() || !parse_key_name(entry.path().filename().string(), key.selector, key.type))
            continue;
        PKey private_key = read_private_key(entry.path(), key.type);
        if (!private_key) throw std::runtime_error("cannot read the DKIM key " + entry.path().string());
        key.domain = domain;
        key.public_key_base64 = base64_encode(public_key_record_bytes(private_key.get(), key.type));
        key.active = active_selector(dir, key.type) == key.selector;
        key.file = entry.path();
        out.push_back(std::move(key));
    }
}

}  // namespace

std::string_view dkim_key_type_name(DkimKeyType type) { return type == DkimKeyType::rsa ? "rsa" : "ed25519"; }

std::optional<DkimKeyType> parse_dkim_key_type(std::string_view name) {
    if (name == "rsa") return DkimKeyType::rsa;
    if (name == "ed25519") return DkimKeyType::ed25519;
    return std::nullopt;
}

bool is_valid_dkim_selector(std::string_view selector) {
    if (selector.empty() || selector.size() > 63 || selector.front() == '-') return false;
    return std::all_of(selector.begin(), selector.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::vector<DkimKeyInfo> list_dkim_keys(const fs::path& keys_dir, std::string_view domain) {
    std::vector<DkimKeyInfo> keys;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(keys_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_directory() || !is_valid_hostname(name) || name != to_lower(name)) continue;
        if (domain.empty() || name == to_lower(domain)) list_domain(entry.path(), name, keys);
    }
    std::sort(keys.begin(), keys.end(), [](const DkimKeyInfo& a, const DkimKeyInfo& b) {
        return std::tie(a.domain, a.type, a.selector) < std::tie(b.domain, b.type, b.selector);
    });
    return keys;
}

std::string dkim_record_name(const DkimKeyInfo& key) { return key.selector + "._domainkey." + key.domain; }

std::string dkim_record_value(const DkimKeyInfo& key) {
    return fmt::format("v=DKIM1; k={}; p={}", dkim_key_type_name(key.type), key.public_key_base64);
}

std::vector<std::string> split_txt_strings(std::string_view value) {
    std::vector<std::string> out;
    for (size_t pos = 0; pos < value.size(); pos += max_txt_string)
        out.emplace_back(value.substr(pos, max_txt_string));
    if (out.empty()) out.emplace_back();
    return out;
}

DkimKeyInfo generate_dkim_key(const fs::path& keys_dir, std::string_view domain, std::string_view selector,
                              DkimKeyType type) {
    const std::string name = to_lower(domain);
    if (!is_valid_hostname(name)) throw std::runtime_error(fmt::format("'{}' is not a domain name", domain));
    if (!is_valid_dkim_selector(selector))
        throw std::runtime_error(fmt::format("'{}' is not a selector: use 1 to 63 of a-z, 0-9 and '-'", selector));
    const fs::path dir = keys_dir / name;
    const fs::path file = key_file(dir, selector, type);
    if (fs::exists(file))
        throw std::runtime_error(fmt::format("{} already has a {} key with selector {}", name,
                                             dkim_key_type_name(type), selector));
    make_private_dir(keys_dir);
    make_private_dir(dir);
    PKey key = generate_private_key(type);
    write_private_file(file, private_key_pem(key.get()));
    if (active_selector(dir, type).empty()) write_private_file(active_file(dir, type), std::string(selector) + "\n");
    for (auto& info : list_dkim_keys(keys_dir, name))
        if (info.type == type && info.selector == selector) return info;
    throw std::runtime_error("the new key cannot be read back from " + file.string());
}

void activate_dkim_selector(const fs::path& keys_dir, std::string_view domain, std::string_view selector) {
    const std::string name = to_lower(domain);
    const fs::path dir = keys_dir / name;
    bool found = false;
    for (DkimKeyType type : all_types) {
        if (!is_valid_dkim_selector(selector) || !fs::exists(key_file(dir, selector, type))) continue;
        write_private_file(active_file(dir, type), std::string(selector) + "\n");
        found = true;
    }
    if (!found) throw std::runtime_error(fmt::format("{} has no key with selector {}", name, selector));
}

}  // namespace pochta::mailauth
