#include "common/metrics/pochta_metrics.hpp"

namespace pochta::metrics {

Counter& connections_accepted(std::string_view listener) {
    return registry().counter("pochta_connections_total", "Connections accepted, per listener", "listener", listener);
}

Gauge& connections_open(std::string_view listener) {
    return registry().gauge("pochta_connections_open", "Connections open now, per listener", "listener", listener);
}

Counter& logins(std::string_view protocol) {
    return registry().counter("pochta_logins_total", "Successful logins (sessions), per protocol", "protocol",
                              protocol);
}

Counter& auth_failures(std::string_view protocol) {
    return registry().counter("pochta_auth_failures_total", "Failed logins, per protocol", "protocol", protocol);
}

Counter& messages_received(std::string_view listener) {
    return registry().counter("pochta_messages_received_total", "Messages accepted over SMTP, per listener",
                              "listener", listener);
}

Counter& messages_delivered(std::string_view destination) {
    return registry().counter("pochta_messages_delivered_total",
                              "Recipients delivered: local (stored) or remote (accepted by the next server)",
                              "destination", destination);
}

Counter& messages_deferred() {
    return registry().counter("pochta_messages_deferred_total",
                              "Outbound recipients whose delivery attempt failed temporarily");
}

Counter& messages_bounced() {
    return registry().counter("pochta_messages_bounced_total", "Outbound recipients given up on (bounced)");
}

Counter& spam_verdicts(std::string_view verdict) {
    return registry().counter("pochta_spam_verdicts_total", "Spam verdicts on the MX listener", "verdict", verdict);
}

Histogram& store_commit_seconds() {
    return registry().histogram("pochta_store_commit_seconds", "Time of one store group commit (with its fsync)",
                                {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
}

Histogram& store_commit_batch_size() {
    return registry().histogram("pochta_store_commit_batch_size", "Messages stored by one group commit",
                                {1, 2, 4, 8, 16, 32, 64, 128});
}

Gauge& queue_messages() {
    return registry().gauge("pochta_queue_messages", "Messages in the outbound queue");
}

Gauge& queue_oldest_seconds() {
    return registry().gauge("pochta_queue_oldest_seconds", "Age of the oldest message in the outbound queue");
}

}  // namespace pochta::metrics
