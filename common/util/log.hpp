// Logging to stderr, one line per event, greppable by queue id.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace pochta::log {

enum class Level { debug, info, warn, error };

void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view line);

// Every value a client chose (login names, HELO, addresses, mailbox names,
// ID values) goes into a log line through this: in double quotes, with
// '"', '\\' and control bytes escaped, so a crafted value can neither end
// its field nor pose as another (`client=10.0.0.1 ... accepted`); see the
// log line reference in README.md.
std::string quoted(std::string_view value);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::warn)) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace pochta::log
