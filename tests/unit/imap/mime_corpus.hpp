// The MIME corpus in tests/data/mime/: files are kept with LF line ends and
// read back with CRLF, as SMTP would store them; files named "*-lf.eml"
// are used as they are.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pochta::imap::test {

inline std::filesystem::path corpus_dir() {
    return std::filesystem::path(POCHTA_SOURCE_DIR) / "tests/data/mime";
}

inline std::string load_corpus(const std::string& name) {
    std::ifstream in(corpus_dir() / name, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string raw = ss.str();
    if (name.size() >= 7 && name.compare(name.size() - 7, 7, "-lf.eml") == 0) return raw;
    std::string crlf;
    for (char c : raw) {
        if (c == '\n') crlf.push_back('\r');
        crlf.push_back(c);
    }
    return crlf;
}

}  // namespace pochta::imap::test
