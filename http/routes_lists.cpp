#include "http/routes_lists.hpp"

#include <fmt/format.h>

#include "http/mail_settings.hpp"
#include "lists/list_token.hpp"

namespace pochta::http {

namespace {

Response html_page(int status, std::string_view title, std::string_view body_html) {
    Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = fmt::format("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n"
                         "<body><h1>{}</h1>\n{}\n</body></html>\n",
                         title, title, body_html);
    // The URL holds the token: kept out of caches and Referer headers.
    r.headers.push_back({"cache-control", "no-store"});
    r.headers.push_back({"referrer-policy", "no-referrer"});
    return r;
}

Response outcome_page(const lists::OneClickOutcome& outcome, const std::string& token) {
    using State = lists::OneClickOutcome::State;
    const std::string list = xml_escape(outcome.list), member = xml_escape(outcome.member);
    switch (outcome.state) {
        case State::invalid:
            return html_page(400, "Not a valid link", "<p>This unsubscribe link is not valid.</p>");
        case State::failed:
            return html_page(503, "Try again later", "<p>The request could not be handled now.</p>");
        case State::not_member:
            return html_page(200, "Not subscribed", fmt::format("<p>{} is not subscribed to {}.</p>", member, list));
        case State::unsubscribed:
            return html_page(200, "Unsubscribed", fmt::format("<p>{} is unsubscribed from {}.</p>", member, list));
        case State::member:
            break;
    }
    return html_page(200, "Unsubscribe",
                     fmt::format("<p>Unsubscribe {} from {}?</p>\n<form method=\"post\" action=\"{}?t={}\">"
                                 "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                                 "<button type=\"submit\">Unsubscribe</button></form>",
                                 member, list, lists::unsubscribe_path, xml_escape(token)));
}

Response moderation_page(const lists::ModerationOutcome& outcome, const std::string& token) {
    using State = lists::ModerationOutcome::State;
    const std::string list = xml_escape(outcome.list), author = xml_escape(outcome.author);
    switch (outcome.state) {
        case State::invalid:
            return html_page(400, "Not a valid link", "<p>This moderation link is not valid.</p>");
        case State::failed:
            return html_page(503, "Try again later", "<p>The request could not be handled now.</p>");
        case State::gone:
            return html_page(200, "Already decided", "<p>That post was approved, rejected or expired already.</p>");
        case State::approved:
            return html_page(200, "Approved", fmt::format("<p>The post from {} to {} is approved.</p>", author, list));
        case State::rejected:
            return html_page(200, "Rejected", fmt::format("<p>The post from {} to {} is rejected.</p>", author, list));
        case State::held:
            break;
    }
    return html_page(200, "A held post",
                     fmt::format("<p>A post from {} to {} waits for approval.</p>\n<form method=\"post\" action=\"{}?t={}\">"
                                 "<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> "
                                 "<button type=\"submit\" name=\"decision\" value=\"reject\">Reject</button></form>",
                                 author, list, lists::moderate_path, xml_escape(token)));
}

// The form's field: "decision=approve" or "decision=reject"; anything else
// only looks.
lists::LinkDecision posted_decision(const Request& request) {
    if (request.method != "POST") return lists::LinkDecision::look;
    const auto decision = query_param(request.body, "decision");
    if (decision == "approve") return lists::LinkDecision::approve;
    if (decision == "reject") return lists::LinkDecision::reject;
    return lists::LinkDecision::look;
}

}  // namespace

void add_list_routes(Router& router, OneClickUnsubscribe unsubscribe, ModerateByLink moderate) {
    router.add({"GET", "POST"}, std::string(lists::moderate_path),
               [moderate = std::move(moderate)](const Request& request, const Client& client, Respond respond) {
                   if (client.listener != Listener::https) return respond(Response::text(404, "not found\n"));
                   auto token = query_param(request.query, "t");
                   if (!token || token->size() > lists::max_id_token)
                       return respond(moderation_page({}, ""));
                   moderate(*token, posted_decision(request),
                            [respond, token = *token](lists::ModerationOutcome outcome) {
                                respond(moderation_page(outcome, token));
                            });
               });
    router.add({"GET", "POST"}, std::string(lists::unsubscribe_path),
               [unsubscribe = std::move(unsubscribe)](const Request& request, const Client& client, Respond respond) {
                   if (client.listener != Listener::https) return respond(Response::text(404, "not found\n"));
                   auto token = query_param(request.query, "t");
                   if (!token || token->size() > lists::max_member_token)
                       return respond(outcome_page({}, ""));
                   // RFC 8058 3.2: the POST's body is "List-Unsubscribe=One-Click";
                   // the token, not the body, is what authorizes it.
                   unsubscribe(*token, request.method == "POST",
                               [respond, token = *token](lists::OneClickOutcome outcome) {
                                   respond(outcome_page(outcome, token));
                               });
               });
}

}  // namespace pochta::http
