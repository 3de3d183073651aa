// The queue runner's working state, shared by queue_runner.cpp (fetching
// and recording) and queue_dispatch.cpp (routes and connections). Not for
// other users.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "outbound/queue_runner.hpp"

namespace pochta::outbound {

// A queue entry in flight: loaded once, split into one job per destination.
struct QueueRunner::Entry {
    store::QueuedMessage message;            // `data` moved out into `data` below
    std::shared_ptr<const std::string> data;
    MessageNeeds needs;
    size_t open_jobs = 0;
    std::vector<RecipientReport> reports;    // this attempt's results so far
};

// The recipients of one entry that go to one destination: one transaction.
struct QueueRunner::Job {
    std::shared_ptr<Entry> entry;
    std::vector<std::string> rcpts;
    size_t tries = 0;                        // connections that failed before any reply for it
};

// One address to connect to.
struct QueueRunner::Target {
    std::string host;                        // the MX or relay name (SNI, logs, DSN)
    std::string ip;
    uint16_t port = 0;
};

// One outbound connection; it holds a slot of its destination until closed.
struct QueueRunner::DestinationConnection {
    SmtpClient::Ref client;                  // the connection owns the client
    Target target;
    size_t target_index = 0;
    bool used = false;                       // completed a transaction before
    std::unique_ptr<net::EventLoop::Timer> idle_timer;
};

// A relay or a recipient domain: its waiting jobs, idle connections and route.
struct QueueRunner::Destination {
    std::string key;                         // the domain, or relay_key
    bool relay = false;
    std::deque<Job> jobs;
    std::vector<std::shared_ptr<DestinationConnection>> idle;
    size_t connections = 0;                  // open or opening, each holding a slot
    std::vector<Target> targets;
    std::chrono::steady_clock::time_point targets_until{};
    bool resolving = false;
};

// The relay's destination key: no domain contains a space.
inline const std::string relay_key = " relay";

}  // namespace pochta::outbound
