// The ACME protocol (RFC 8555) on the loop (README.md, "ACME certificates"):
// directory, nonces (a badNonce answer is retried with the fresh nonce),
// the account (newAccount with the account key: created the first time,
// found again after), orders with their authorizations and one challenge
// each (TLS-ALPN-01 or HTTP-01), finalize with a CSR, the certificate
// chain, and revocation. One operation at a time per Client.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acme/http_tokens.hpp"
#include "acme/https_client.hpp"
#include "acme/keys.hpp"
#include "common/net/acme_challenge.hpp"
#include "common/util/json.hpp"
#include "common/util/liveness.hpp"

namespace pochta::acme {

enum class ChallengeType { tls_alpn_01, http_01 };

struct ClientOptions {
    std::string directory_url;
    std::vector<std::string> contact;  // "mailto:..." URLs
    ChallengeType challenge = ChallengeType::tls_alpn_01;
    // Authorizations and orders are polled at most this many times, the
    // pause growing from 100 ms to poll_interval.
    std::chrono::milliseconds poll_interval{2000};
    int max_polls = 60;
};

// Where validation answers are published for the ACME server to fetch.
struct ChallengeResponders {
    std::shared_ptr<net::AcmeChallengeCertificates> tls_alpn;
    std::shared_ptr<Http01Tokens> http;
};

struct IssuedCertificate {
    std::string chain_pem;  // leaf first
    std::string key_pem;    // its new private key
};

class Client {
public:
    Client(net::EventLoop& loop, HttpsClient& https, EcKey account_key, ClientOptions options,
           ChallengeResponders responders);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    using IssueDone = std::function<void(std::optional<IssuedCertificate>, std::string error)>;
    // An order for `names`, validated, finalized and downloaded. `done` runs
    // on the loop, never after the Client is gone.
    void issue(std::vector<std::string> names, IssueDone done);
    // Revokes the first certificate of `chain_pem` (RFC 8555 section 7.6),
    // signed with the account key. `done("")` on success.
    void revoke(std::string chain_pem, std::function<void(std::string error)> done);

    struct Order;
    // One request's answer: the response, its JSON (when any) and an error
    // that says what went wrong ("" when the status is 2xx).
    struct Reply {
        std::string error = {};
        HttpResponse response = {};
        std::optional<JsonValue> json = {};
    };
    using ReplyDone = std::function<void(Reply)>;

private:
    void with_account(std::function<void(std::string error)> next);
    void fetch_directory(std::function<void(std::string error)> next);
    // A JWS POST to `url` (payload "" = POST-as-GET), with the account's
    // kid unless `use_jwk`.
    void post(std::string url, std::string payload, ReplyDone done, bool use_jwk = false, int attempt = 1);
    void with_nonce(std::function<void(std::string error)> next);
    void remember_nonce(const HttpResponse& response);

    void authorize_next(std::shared_ptr<Order> order);
    void start_challenge(std::shared_ptr<Order> order, const JsonValue& authorization);
    void poll_authorization(std::shared_ptr<Order> order, int polls_left);
    void finalize(std::shared_ptr<Order> order);
    void poll_order(std::shared_ptr<Order> order, int polls_left);
    void download(std::shared_ptr<Order> order, std::string url);
    void withdraw_answer(Order& order);
    void after(std::chrono::milliseconds delay, std::function<void()> fn);
    std::chrono::milliseconds poll_delay(int polls_left) const;

    net::EventLoop& loop_;
    HttpsClient& https_;
    EcKey account_key_;
    ClientOptions options_;
    ChallengeResponders responders_;
    std::string new_nonce_url_, new_account_url_, new_order_url_, revoke_url_;
    std::string nonce_;
    std::string kid_;  // the account URL
    std::unique_ptr<net::EventLoop::Timer> timer_;
    util::Liveness liveness_;
};

}  // namespace pochta::acme
