// Which handler answers which path (README.md, "Autoconfig, MTA-STS and
// metrics"). Paths are matched case-insensitively (Outlook sends
// /AutoDiscover/AutoDiscover.xml, and other spellings); HEAD is answered
// as GET without the body. A handler answers through `respond`, at once or
// later from the loop (after store work), exactly once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace pochta::http {

// The listener a request came in on.
enum class Listener { http, https, metrics };

struct Client {
    Listener listener = Listener::http;
    std::string ip;
};

using Respond = std::function<void(Response)>;
using RouteHandler = std::function<void(const Request&, const Client&, Respond)>;

class Router {
public:
    // `methods` such as {"GET", "POST"}. With `prefix`, `path` (ending in
    // '/') matches every path below it too.
    void add(std::vector<std::string> methods, std::string path, RouteHandler handler, bool prefix = false);
    // 404 when no path matches, 405 (with Allow) when the method does not.
    void route(const Request& request, const Client& client, Respond respond) const;

private:
    struct Route {
        std::vector<std::string> methods;
        std::string path;  // lowercased
        bool prefix;
        RouteHandler handler;
    };
    const Route* find(const std::string& lower_path) const;
    std::vector<Route> routes_;
};

}  // namespace pochta::http
