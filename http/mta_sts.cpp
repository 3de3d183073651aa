#include "http/mta_sts.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

namespace pochta::http {

std::string mta_sts_policy(const Config& config) {
    const auto& sts = config.mta_sts;
    std::string out = fmt::format("version: STSv1\r\nmode: {}\r\n", sts.mode);
    if (sts.mx.empty()) out += fmt::format("mx: {}\r\n", config.hostname);
    for (const auto& mx : sts.mx) out += fmt::format("mx: {}\r\n", mx);
    out += fmt::format("max_age: {}\r\n", sts.max_age.count());
    return out;
}

std::string mta_sts_id(const std::string& policy) {
    unsigned char hash[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(policy.data()), policy.size(), hash);
    std::string id;
    for (int i = 0; i < 10; i++) id += fmt::format("{:02x}", hash[i]);
    return id;
}

}  // namespace pochta::http
