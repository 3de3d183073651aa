#include "acme/client.hpp"

#include <algorithm>
#include <exception>

#include "common/util/log.hpp"

namespace pochta::acme {
namespace {

constexpr int kNonceAttempts = 3;
constexpr std::string_view kBadNonce = "urn:ietf:params:acme:error:badNonce";

std::string text(const JsonValue* value) {
    return value && value->kind == JsonValue::Kind::string ? value->string : std::string();
}

std::string member(const std::optional<JsonValue>& json, std::string_view name) {
    return json ? text(json->find(name)) : std::string();
}

// "TYPE: DETAIL" of an RFC 7807 problem document, or the status alone.
std::string problem_text(const Client::Reply& reply) {
    std::string type = member(reply.json, "type"), detail = member(reply.json, "detail");
    std::string out = "HTTP " + std::to_string(reply.response.status);
    if (!type.empty()) out += " " + type;
    if (!detail.empty()) out += ": " + detail;
    return out;
}

Client::Reply make_reply(HttpOutcome outcome) {
    Client::Reply reply;
    reply.error = std::move(outcome.error);
    reply.response = std::move(outcome.response);
    if (!reply.error.empty()) return reply;
    const std::string* type = reply.response.header("Content-Type");
    if (type && type->find("json") != std::string::npos) reply.json = parse_json(reply.response.body);
    if (reply.response.status >= 300) reply.error = problem_text(reply);
    return reply;
}

std::string json_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& item : items) out += (out.size() > 1 ? "," : "") + json_string(item);
    return out + "]";
}

// The reason an authorization failed: its challenges' error details.
std::string challenge_errors(const JsonValue& authorization) {
    std::string out;
    if (const JsonValue* challenges = authorization.find("challenges"))
        for (const JsonValue& challenge : challenges->items)
            if (const JsonValue* error = challenge.find("error"))
                out += (out.empty() ? "" : "; ") + text(error->find("type")) + ": " + text(error->find("detail"));
    return out.empty() ? "no reason given" : out;
}

}  // namespace

struct Client::Order {
    std::vector<std::string> names;
    IssueDone done;
    std::string url, finalize_url;
    std::vector<std::string> authorizations;
    size_t next_authorization = 0;
    std::string authorization_url;       // the one being validated
    std::string answered_name, answered_token;  // the answer published for it
    std::string key_pem;                 // the certificate's key, from finalize on
};

Client::Client(net::EventLoop& loop, HttpsClient& https, EcKey account_key, ClientOptions options,
               ChallengeResponders responders)
    : loop_(loop),
      https_(https),
      account_key_(std::move(account_key)),
      options_(std::move(options)),
      responders_(std::move(responders)) {}

Client::~Client() = default;

void Client::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    timer_ = loop_.start_timer(delay, std::move(fn));
}

std::chrono::milliseconds Client::poll_delay(int polls_left) const {
    // 100 ms, 200 ms, 400 ms, ... up to poll_interval: a quick CA is not
    // kept waiting, a slow one is not asked too often.
    int done = std::clamp(options_.max_polls - polls_left, 0, 16);
    return std::min(options_.poll_interval, std::chrono::milliseconds(100) * (1 << done));
}

void Client::remember_nonce(const HttpResponse& response) {
    if (const std::string* nonce = response.header("Replay-Nonce")) nonce_ = *nonce;
}

void Client::fetch_directory(std::function<void(std::string)> next) {
    if (!new_nonce_url_.empty()) return next("");
    https_.send({.method = "GET", .url = options_.directory_url},
                [this, watch = liveness_.watch(), next = std::move(next)](HttpOutcome outcome) {
                    if (!watch) return;
                    Reply reply = make_reply(std::move(outcome));
                    if (!reply.error.empty()) return next("directory " + options_.directory_url + ": " + reply.error);
                    new_nonce_url_ = member(reply.json, "newNonce");
                    new_account_url_ = member(reply.json, "newAccount");
                    new_order_url_ = member(reply.json, "newOrder");
                    revoke_url_ = member(reply.json, "revokeCert");
                    if (new_nonce_url_.empty() || new_account_url_.empty() || new_order_url_.empty()) {
                        new_nonce_url_.clear();
                        return next("directory " + options_.directory_url + ": not an ACME directory");
                    }
                    next("");
                });
}

void Client::with_nonce(std::function<void(std::string)> next) {
    if (!nonce_.empty()) return next("");
    https_.send({.method = "GET", .url = new_nonce_url_},
                [this, watch = liveness_.watch(), next = std::move(next)](HttpOutcome outcome) {
                    if (!watch) return;
                    remember_nonce(outcome.response);
                    Reply reply = make_reply(std::move(outcome));
                    if (!reply.error.empty()) return next("newNonce: " + reply.error);
                    next(nonce_.empty() ? "newNonce: no Replay-Nonce" : "");
                });
}

void Client::post(std::string url, std::string payload, ReplyDone done, bool use_jwk, int attempt) {
    with_nonce([this, watch = liveness_.watch(), url, payload, done = std::move(done), use_jwk,
                attempt](std::string error) mutable {
        if (!watch) return;
        if (!error.empty()) return done(Reply{.error = error});
        std::string body;
        try {
            body = sign_request(account_key_, use_jwk ? "" : kid_, nonce_, url, payload);
        } catch (const std::exception& e) {
            return done(Reply{.error = e.what()});
        }
        nonce_.clear();  // each nonce is good for one request
        https_.send({.method = "POST", .url = url, .content_type = "application/jose+json", .body = std::move(body)},
                    [this, watch, url, payload, done = std::move(done), use_jwk, attempt](HttpOutcome outcome) mutable {
                        if (!watch) return;
                        remember_nonce(outcome.response);
                        Reply reply = make_reply(std::move(outcome));
                        // RFC 8555 section 6.5: a badNonce answer carries a
                        // fresh nonce to retry with.
                        if (member(reply.json, "type") == kBadNonce && attempt < kNonceAttempts)
                            return post(std::move(url), std::move(payload), std::move(done), use_jwk, attempt + 1);
                        done(std::move(reply));
                    });
    });
}

void Client::with_account(std::function<void(std::string)> next) {
    fetch_directory([this, watch = liveness_.watch(), next = std::move(next)](std::string error) {
        if (!watch) return;
        if (!error.empty() || !kid_.empty()) return next(error);
        std::string payload = R"({"termsOfServiceAgreed":true,"contact":)" + json_list(options_.contact) + "}";
        post(
            new_account_url_, payload,
            [this, watch, next](Reply reply) {
                if (!watch) return;
                if (!reply.error.empty()) return next("newAccount: " + reply.error);
                const std::string* location = reply.response.header("Location");
                if (!location || location->empty()) return next("newAccount: no account URL");
                kid_ = *location;
                if (reply.response.status == 201) log::info("ACME account created: {}", kid_);
                next("");
            },
            true);
    });
}

void Client::issue(std::vector<std::string> names, IssueDone done) {
    auto order = std::make_shared<Order>();
    order->names = std::move(names);
    order->done = std::move(done);
    with_account([this, watch = liveness_.watch(), order](std::string error) {
        if (!watch) return;
        if (!error.empty()) return order->done(std::nullopt, error);
        std::string identifiers;
        for (const auto& name : order->names)
            identifiers += (identifiers.empty() ? "" : ",") + std::string(R"({"type":"dns","value":)") +
                           json_string(name) + "}";
        post(new_order_url_, R"({"identifiers":[)" + identifiers + "]}", [this, watch, order](Reply reply) {
            if (!watch) return;
            if (!reply.error.empty()) return order->done(std::nullopt, "newOrder: " + reply.error);
            const std::string* location = reply.response.header("Location");
            order->url = location ? *location : "";
            order->finalize_url = member(reply.json, "finalize");
            if (const JsonValue* list = reply.json ? reply.json->find("authorizations") : nullptr)
                for (const JsonValue& item : list->items) order->authorizations.push_back(text(&item));
            if (order->url.empty() || order->finalize_url.empty() || order->authorizations.empty())
                return order->done(std::nullopt, "newOrder: incomplete order object");
            // One authorization per name (RFC 8555 section 7.1.3): more would
            // only make this client send requests for nothing.
            if (order->authorizations.size() > order->names.size())
                return order->done(std::nullopt, "newOrder: more authorizations than names");
            authorize_next(order);
        });
    });
}

void Client::authorize_next(std::shared_ptr<Order> order) {
    if (order->next_authorization == order->authorizations.size()) return finalize(order);
    order->authorization_url = order->authorizations[order->next_authorization++];
    post(order->authorization_url, "", [this, watch = liveness_.watch(), order](Reply reply) {
        if (!watch) return;
        if (!reply.error.empty()) return order->done(std::nullopt, "authorization: " + reply.error);
        std::string status = member(reply.json, "status");
        if (status == "valid") return authorize_next(order);
        if (status != "pending") return order->done(std::nullopt, "authorization is " + status);
        start_challenge(order, *reply.json);
    });
}

void Client::start_challenge(std::shared_ptr<Order> order, const JsonValue& authorization) {
    const char* wanted = options_.challenge == ChallengeType::tls_alpn_01 ? "tls-alpn-01" : "http-01";
    const JsonValue* identifier = authorization.find("identifier");
    std::string name = identifier ? text(identifier->find("value")) : "";
    std::string url, token;
    if (const JsonValue* challenges = authorization.find("challenges"))
        for (const JsonValue& challenge : challenges->items)
            if (text(challenge.find("type")) == wanted) {
                url = text(challenge.find("url"));
                token = text(challenge.find("token"));
            }
    if (url.empty() || token.empty())
        return order->done(std::nullopt, fmt::format("{}: the ACME server offers no {} challenge", name, wanted));
    std::string key_authorization = token + "." + account_key_.thumbprint();
    try {
        if (options_.challenge == ChallengeType::tls_alpn_01) {
            EcKey key = EcKey::generate();
            responders_.tls_alpn->set(name, validation_certificate(key, name, key_authorization), key.private_pem());
        } else {
            responders_.http->set(token, key_authorization);
        }
    } catch (const std::exception& e) {
        return order->done(std::nullopt, e.what());
    }
    order->answered_name = name;
    order->answered_token = token;
    log::info("ACME: answering {} for {}", wanted, name);
    post(url, "{}", [this, watch = liveness_.watch(), order](Reply reply) {
        if (!watch) return;
        if (!reply.error.empty()) {
            withdraw_answer(*order);
            return order->done(std::nullopt, "challenge: " + reply.error);
        }
        poll_authorization(order, options_.max_polls);
    });
}

void Client::withdraw_answer(Order& order) {
    if (!order.answered_name.empty() && responders_.tls_alpn) responders_.tls_alpn->remove(order.answered_name);
    if (!order.answered_token.empty() && responders_.http) responders_.http->remove(order.answered_token);
    order.answered_name.clear();
    order.answered_token.clear();
}

void Client::poll_authorization(std::shared_ptr<Order> order, int polls_left) {
    post(order->authorization_url, "", [this, watch = liveness_.watch(), order, polls_left](Reply reply) {
        if (!watch) return;
        std::string status = member(reply.json, "status");
        if (reply.error.empty() && (status == "pending" || status == "processing") && polls_left > 0)
            return after(poll_delay(polls_left), [this, order, polls_left] { poll_authorization(order, polls_left - 1); });
        std::string name = order->answered_name;
        withdraw_answer(*order);
        if (!reply.error.empty()) return order->done(std::nullopt, "authorization: " + reply.error);
        if (status == "valid") return authorize_next(order);
        if (status == "invalid")
            return order->done(std::nullopt, fmt::format("validation of {} failed: {}", name, challenge_errors(*reply.json)));
        order->done(std::nullopt, fmt::format("validation of {} did not finish (status {})", name, status));
    });
}

void Client::finalize(std::shared_ptr<Order> order) {
    std::string csr;
    try {
        EcKey key = EcKey::generate();
        csr = make_csr(key, order->names);
        order->key_pem = key.private_pem();
    } catch (const std::exception& e) {
        return order->done(std::nullopt, e.what());
    }
    post(order->finalize_url, R"({"csr":")" + base64url(csr) + R"("})",
         [this, watch = liveness_.watch(), order](Reply reply) {
             if (!watch) return;
             if (!reply.error.empty()) return order->done(std::nullopt, "finalize: " + reply.error);
             poll_order(order, options_.max_polls);
         });
}

void Client::poll_order(std::shared_ptr<Order> order, int polls_left) {
    post(order->url, "", [this, watch = liveness_.watch(), order, polls_left](Reply reply) {
        if (!watch) return;
        if (!reply.error.empty()) return order->done(std::nullopt, "order: " + reply.error);
        std::string status = member(reply.json, "status");
        if (status == "valid") return download(order, member(reply.json, "certificate"));
        if ((status == "processing" || status == "ready") && polls_left > 0)
            return after(poll_delay(polls_left), [this, order, polls_left] { poll_order(order, polls_left - 1); });
        order->done(std::nullopt, "order is " + status);
    });
}

void Client::download(std::shared_ptr<Order> order, std::string url) {
    if (url.empty()) return order->done(std::nullopt, "order: valid without a certificate URL");
    post(url, "", [watch = liveness_.watch(), order](Reply reply) {
        if (!watch) return;
        if (!reply.error.empty()) return order->done(std::nullopt, "certificate: " + reply.error);
        try {
            read_certificate(reply.response.body);
        } catch (const std::exception& e) {
            return order->done(std::nullopt, std::string("certificate: ") + e.what());
        }
        order->done(IssuedCertificate{reply.response.body, order->key_pem}, "");
    });
}

void Client::revoke(std::string chain_pem, std::function<void(std::string)> done) {
    with_account([this, watch = liveness_.watch(), chain_pem = std::move(chain_pem),
                  done = std::move(done)](std::string error) {
        if (!watch) return;
        if (!error.empty()) return done(error);
        if (revoke_url_.empty()) return done("the ACME server offers no revokeCert");
        std::string der;
        try {
            der = certificate_der(chain_pem);
        } catch (const std::exception& e) {
            return done(e.what());
        }
        post(revoke_url_, R"({"certificate":")" + base64url(der) + R"("})", [watch, done](Reply reply) {
            if (!watch) return;
            done(reply.error.empty() ? "" : "revokeCert: " + reply.error);
        });
    });
}

}  // namespace pochta::acme
