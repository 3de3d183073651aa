#include "mailauth/public_suffix.hpp"

#include <libpsl.h>

#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

// Loaded once; libpsl contexts are read-only after loading, so every
// thread may share it.
const psl_ctx_t* suffix_list() {
    static const psl_ctx_t* list = [] {
        const psl_ctx_t* latest = psl_latest(nullptr);  // the system list if newer than the built-in one
        return latest ? latest : psl_builtin();
    }();
    return list;
}

}  // namespace

std::string organizational_domain(std::string_view domain) {
    std::string name = to_lower(domain);
    if (!name.empty() && name.back() == '.') name.pop_back();
    const char* registrable = suffix_list() ? psl_registrable_domain(suffix_list(), name.c_str()) : nullptr;
    return registrable ? std::string(registrable) : name;
}

}  // namespace pochta::mailauth
