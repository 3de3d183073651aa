// What every IMAP session of one server shares.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/auth/directory.hpp"
#include "common/auth/hash_pool.hpp"
#include "common/auth/login_throttle.hpp"
#include "common/auth/password.hpp"
#include "common/net/tls.hpp"
#include "imap/notifier.hpp"
#include "store/async_store.hpp"

namespace pochta::imap {

using auth::PasswordCheck;

struct SessionContext {
    std::string hostname;
    PasswordCheck check_password;
    auth::LoginThrottle& throttle;
    store::AsyncStore& store;
    Notifier& notifier;
    std::shared_ptr<net::TlsContext> tls;   // null: no STARTTLS (and no login unless plaintext_auth)
    uint64_t max_message_size = 26214400;   // APPEND limit
    // Accept credentials without TLS. Off in the server (README.md, IMAP:
    // login only over TLS); tests turn it on.
    bool plaintext_auth = false;
    // RFC 3501 5.4: the autologout timer is at least 30 minutes.
    std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
    // Where password hashes are checked; the server shares one among all
    // protocols, tests get their own.
    std::shared_ptr<auth::HashPool> hash_pool = std::make_shared<auth::HashPool>();
};

}  // namespace pochta::imap
