#include "http/router.hpp"

#include <algorithm>

#include "common/util/strings.hpp"

namespace pochta::http {

void Router::add(std::vector<std::string> methods, std::string path, RouteHandler handler, bool prefix) {
    routes_.push_back({std::move(methods), to_lower(path), prefix, std::move(handler)});
}

const Router::Route* Router::find(const std::string& lower_path) const {
    for (const auto& route : routes_) {
        bool match = route.prefix ? lower_path.starts_with(route.path) && lower_path.size() > route.path.size()
                                  : lower_path == route.path;
        if (match) return &route;
    }
    return nullptr;
}

void Router::route(const Request& request, const Client& client, Respond respond) const {
    const Route* route = find(to_lower(request.path));
    if (!route) return respond(Response::text(404, "not found\n"));
    // Both sides views: a "GET" : std::string conditional would be a temporary string.
    std::string_view method = request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
    if (std::find(route->methods.begin(), route->methods.end(), method) == route->methods.end()) {
        Response r = Response::text(405, "method not allowed\n");
        std::string allow;
        for (const auto& m : route->methods) allow += (allow.empty() ? "" : ", ") + m;
        r.headers.push_back({"Allow", allow});
        return respond(std::move(r));
    }
    route->handler(request, client, std::move(respond));
}

}  // namespace pochta::http
