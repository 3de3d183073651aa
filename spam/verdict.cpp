// Adding up the signals and reading the thresholds (README.md, "Spam").
#include "spam/verdict.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"

namespace pochta::spam {

namespace {

constexpr double gtube_points = 1000;

// Details carry what senders chose (a From address): printable ASCII
// only, so they can neither end the header field nor the line.
std::string signal_text(const Signal& s) {
    if (s.detail.empty()) return fmt::format("{}={:.2f}", s.name, s.points);
    return fmt::format("{}({})={:.2f}", s.name, printable_prefix(s.detail, 200), s.points);
}

}  // namespace

std::string_view action_name(Action action) {
    switch (action) {
        case Action::junk: return "junk";
        case Action::reject: return "reject";
        case Action::inbox: break;
    }
    return "inbox";
}

Verdict decide(std::vector<Signal> signals, const Config::Spam::Thresholds& thresholds) {
    Verdict v;
    v.thresholds = thresholds;
    for (const auto& s : signals) v.score += s.points;
    v.signals = std::move(signals);
    if (v.score >= thresholds.reject_score) v.action = Action::reject;
    else if (v.score >= thresholds.junk_score) v.action = Action::junk;
    return v;
}

Signal gtube_signal() { return {"GTUBE", "", gtube_points}; }

std::vector<Signal> bayes_signals(const Classification& c, double weight) {
    if (!c.trained || c.clues == 0) return {};
    return {{"BAYES", fmt::format("{:.3f}", c.spam_probability), weight * (c.spam_probability - 0.5) * 2}};
}

std::vector<Signal> blocklist_signals(const BlocklistReport& report) {
    std::vector<Signal> out;
    for (const auto& hit : report.hits)
        out.push_back({"BLOCKLIST", fmt::format("{}:{}:{}", hit.zone, hit.subject, hit.codes), hit.weight});
    return out;
}

std::string status_field(const Verdict& v) {
    std::string out = fmt::format("X-Spam-Status: {}, score={:.1f} junk={:.1f} reject={:.1f} action={}",
                                  v.action == Action::inbox ? "No" : "Yes", v.score, v.thresholds.junk_score,
                                  v.thresholds.reject_score, action_name(v.action));
    out += "\r\n\ttests=";
    for (size_t i = 0; i < v.signals.size(); ++i) {
        if (i > 0) out += ",\r\n\t";
        out += signal_text(v.signals[i]);
    }
    if (v.signals.empty()) out += "none";
    out += "\r\n";
    return out;
}

std::string log_summary(const Verdict& v) {
    std::string out = fmt::format("score={:.1f} action={} tests=", v.score, action_name(v.action));
    for (size_t i = 0; i < v.signals.size(); ++i) {
        if (i > 0) out += ',';
        out += signal_text(v.signals[i]);
    }
    if (v.signals.empty()) out += "none";
    return out;
}

}  // namespace pochta::spam
