// What `pochta serve` sets up in the process before it listens: the
// descriptor limit and the file modes of what it writes (README
// "Connections and limits", "Files and modes").
#pragma once

#include "common/config/config.hpp"

namespace pochta::cli {

// Raises the soft RLIMIT_NOFILE to the hard limit and logs a warning when
// max_connections, outbound connections and the store's files together
// could exceed it (under systemd's default of 1024 the default
// max_connections = 10000 is never reached otherwise).
void raise_descriptor_limit(const Config& config);

// New files and folders private to their owner (umask 077): mail, the
// index and spool files are 0600 and folders 0700 whatever the caller's umask.
void restrict_new_file_modes();

// An existing data_dir open to group or others is closed to 0700 (and the
// top-level files in it, the index among them, to 0600), with a log line.
void secure_data_dir(const Config& config);

// Logs each secret_file_warnings() line.
void warn_about_secret_files(const Config& config);

}  // namespace pochta::cli
