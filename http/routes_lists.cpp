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

}  // namespace

void add_list_routes(Router& router, OneClickUnsubscribe unsubscribe) {
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
