// The progress line of `pochta import` and `export` (README.md, "Import and
// export"): redrawn in place on a terminal at most a few times a second,
// nothing at all when stderr is not a terminal (logs and pipes get only
// the summary).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "transfer/importer.hpp"

namespace pochta::transfer {

class ProgressBar {
public:
    // `unit` names what done/total count ("messages" or "bytes").
    ProgressBar(std::FILE* out, std::string unit);
    void update(const ProgressUpdate& progress);
    // Ends the line the bar is drawn on.
    void finish();

private:
    std::FILE* out_;
    std::string unit_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace pochta::transfer
