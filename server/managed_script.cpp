#include "server/managed_script.hpp"

#include <fmt/format.h>

#include <vector>

namespace pochta::cli {

namespace {

// A Sieve quoted string (RFC 5228 2.4.2): only '"' and '\' are escaped;
// line ends may stand in it as they are.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string require_line(const store::ManagedSieve& m, bool include) {
    std::vector<std::string> extensions;
    if (m.vacation) extensions.push_back("\"vacation\"");
    if (m.vacation && !m.vacation_until.empty()) extensions.insert(extensions.end(), {"\"date\"", "\"relational\""});
    if (!m.forward_to.empty() && m.forward_keep) extensions.push_back("\"copy\"");
    if (include) extensions.push_back("\"include\"");
    if (extensions.empty()) return "";
    std::string line = "require [";
    for (const std::string& extension : extensions) line += (line.size() > 9 ? ", " : "") + extension;
    return line + "];\n";
}

std::string vacation_command(const store::ManagedSieve& m) {
    std::string subject = m.vacation_subject.empty() ? "" : ":subject " + quoted(m.vacation_subject) + " ";
    std::string command =
        fmt::format("vacation :days {} {}{};\n", m.vacation_days, subject, quoted(m.vacation_message));
    if (m.vacation_until.empty()) return command;
    // The last day included, in the server's zone (currentdate without :zone).
    return fmt::format("if currentdate :value \"le\" :comparator \"i;octet\" \"date\" {} {{\n    {}}}\n",
                       quoted(m.vacation_until), command);
}

}  // namespace

std::string managed_script(const store::ManagedSieve& m) {
    // Forwarding without a copy keeps nothing: the user's own script, which
    // files what is kept, has nothing to do then.
    const bool include = !m.own_script.empty() && (m.forward_to.empty() || m.forward_keep);
    std::string script =
        "# Written by `pochta vacation` and `pochta forward` (README \"Vacation and forwarding\");\n"
        "# they rewrite it, so edit the included script instead.\n";
    script += require_line(m, include);
    if (m.vacation) script += vacation_command(m);
    for (const std::string& target : m.forward_to)
        script += fmt::format("redirect {}{};\n", m.forward_keep ? ":copy " : "", quoted(target));
    if (include) script += fmt::format("include :personal :optional {};\n", quoted(m.own_script));
    return script;
}

}  // namespace pochta::cli
