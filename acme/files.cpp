#include "acme/files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "common/util/log.hpp"
#include "common/util/private_file.hpp"

namespace pochta::acme {

namespace fs = std::filesystem;

std::optional<std::string> read_small_file(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

EcKey load_or_create_account_key(const AcmeFiles& files) {
    if (auto pem = read_small_file(files.account_key())) return EcKey::from_pem(*pem);
    make_private_dir(files.dir);
    EcKey key = EcKey::generate();
    write_private_file(files.account_key(), key.private_pem());
    log::info("ACME account key created: {}", files.account_key().string());
    return key;
}

void ensure_placeholder(const AcmeFiles& files, const std::string& name) {
    std::error_code ec;
    if (fs::exists(files.chain(), ec) && fs::exists(files.key(), ec)) return;
    make_private_dir(files.dir);
    EcKey key = EcKey::generate();
    write_certificate(files, {placeholder_certificate(key, name), key.private_pem()});
    log::info("ACME: self-signed placeholder certificate in {} until the first one is issued", files.dir.string());
}

void write_certificate(const AcmeFiles& files, const IssuedCertificate& issued) {
    write_private_file(files.key(), issued.key_pem);
    write_private_file(files.chain(), issued.chain_pem);
}

}  // namespace pochta::acme
