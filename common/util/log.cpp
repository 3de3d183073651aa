#include "common/util/log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <sys/time.h>

namespace pochta::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::mutex g_write_mutex;

const char* level_name(Level level) {
    switch (level) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
    }
    return "?";
}

// Log lines carry what clients sent (names, addresses, commands): a CR or
// LF in them must not start a forged line of its own, nor other control
// bytes reach the terminal of whoever reads the log.
std::string escape_controls(std::string_view line) {
    std::string out;
    out.reserve(line.size() + 16);
    for (unsigned char c : line) {
        if (c < 0x20 || c == 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

bool has_controls(std::string_view line) {
    for (unsigned char c : line)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

}  // namespace

std::string quoted(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 2);
    out += '"';
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    return out;
}

void set_level(Level level) { g_level = level; }

bool enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view text) {
    std::string escaped;
    std::string_view line = text;
    if (has_controls(text)) line = escaped = escape_controls(text);
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm parts{};
    gmtime_r(&tv.tv_sec, &parts);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &parts);
    std::lock_guard lock(g_write_mutex);
    std::fprintf(stderr, "%s.%03dZ %s %.*s\n", stamp, static_cast<int>(tv.tv_usec / 1000), level_name(level),
                 static_cast<int>(line.size()), line.data());
}

}  // namespace pochta::log
