// The tokenizer (README.md, "Spam"): decoded text parts, HTML without its
// tags, selected headers with their prefixes, URL hosts, GTUBE anywhere,
// and its bounds on huge input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "spam/tokenizer.hpp"

using namespace pochta::spam;

namespace {

bool has(const Tokens& t, const std::string& word) {
    return std::binary_search(t.keys.begin(), t.keys.end(), token_key(word));
}

}  // namespace

TEST_CASE("plain text and selected headers", "[spam][tokenizer]") {
    Tokens t = tokenize_message(
        "From: \"Cheap Pills\" <Sales@Pharma.Example>\r\nTo: you@example.org\r\n"
        "Subject: =?utf-8?q?Gro=C3=9Fe_Rabatte?= today\r\nReceived: from nowhere\r\n\r\n"
        "Buy CHEAP viagra now! Visit https://Pills.Example/buy?x=1 it's   ok -- a b\r\n");
    CHECK(has(t, "buy"));
    CHECK(has(t, "cheap"));
    CHECK(has(t, "viagra"));
    CHECK(has(t, "now!"));
    CHECK(has(t, "it's"));
    CHECK(has(t, "subject:große"));
    CHECK(has(t, "subject:today"));
    CHECK(has(t, "from:cheap"));
    CHECK(has(t, "from:pharma.example"));
    CHECK(has(t, "url:pills.example"));
    CHECK(has(t, "ct:text/plain"));
    CHECK_FALSE(has(t, "received:nowhere"));   // not a selected field
    CHECK_FALSE(has(t, "ok"));                 // shorter than three bytes
    CHECK(t.author == "sales@pharma.example");
    CHECK_FALSE(t.gtube);
    CHECK(std::is_sorted(t.keys.begin(), t.keys.end()));
}

TEST_CASE("base64 and quoted-printable parts are decoded, HTML loses its tags", "[spam][tokenizer]") {
    Tokens t = tokenize_message(
        "Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Gr=FC=DFe und Kaffee\r\n"
        "--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "PGh0bWw+PGJvZHk+PGEgaHJlZj0iaHR0cDovL2V2aWwuZXhhbXBsZS94Ij5jbGljazwvYT4mbmJzcDtoZXJlPC9ib2R5PjwvaHRtbD4=\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"x.EXE\"\r\n\r\n"
        "AAAA\r\n--b--\r\n");
    CHECK(has(t, "grüße"));
    CHECK(has(t, "kaffee"));
    CHECK(has(t, "click"));
    CHECK(has(t, "here"));
    CHECK(has(t, "url:evil.example"));
    CHECK_FALSE(has(t, "href"));
    CHECK_FALSE(has(t, "body"));
    CHECK(has(t, "ct:text/html"));
    CHECK(has(t, "attach:exe"));
}

TEST_CASE("long runs become skip tokens", "[spam][tokenizer]") {
    Tokens t = tokenize_message("\r\n" + std::string(57, 'Q') + " word\r\n");
    CHECK(has(t, "skip:q50"));
    CHECK(has(t, "word"));
}

TEST_CASE("GTUBE is found in the raw message and in a base64 part", "[spam][tokenizer]") {
    CHECK(tokenize_message("Subject: t\r\n\r\n" + std::string(gtube) + "\r\n").gtube);
    // base64 of the GTUBE string
    CHECK(tokenize_message("Content-Transfer-Encoding: base64\r\n\r\n"
                           "WEpTKkM0SkRCUUFETjEuTlNCTjMqMklETkVOKkdUVUJFLVNUQU5EQVJELUFOVEktVUJFLVRFU1QtRU1BSUwqQy4zNFg=\r\n")
              .gtube);
    CHECK_FALSE(tokenize_message("Subject: t\r\n\r\nXJS*C4JDBQADN1 only half\r\n").gtube);
}

TEST_CASE("token keys are stable, distinct and sorted", "[spam][tokenizer]") {
    CHECK(token_key("viagra") == token_key("viagra"));
    CHECK(token_key("viagra") != token_key("viagrb"));
    CHECK(token_key("viagra") == 0x314fc6a2caa43411ull);   // FNV-1a: stored counts stay valid across versions
    Tokens t = tokenize_message("Subject: x\r\n\r\nBBB aaa bbb\r\n");
    CHECK(has(t, "bbb"));
    CHECK(has(t, "aaa"));
    CHECK(std::count(t.keys.begin(), t.keys.end(), token_key("bbb")) == 1);
    CHECK(std::adjacent_find(t.keys.begin(), t.keys.end(), std::greater_equal<>()) == t.keys.end());
}

TEST_CASE("a 50 MB message and one with 100,000 tokens stay within the bounds", "[spam][tokenizer][bounds]") {
    std::string huge = "Subject: big\r\n\r\n";
    huge.reserve(50u << 20);
    for (unsigned i = 0; huge.size() < (50u << 20); ++i) huge += "w" + std::to_string(i) + " ";
    huge += std::string(gtube);
    auto start = std::chrono::steady_clock::now();
    Tokens t = tokenize_message(huge);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(t.gtube);   // searched in every byte
    TokenizerLimits limits;
    CHECK(t.keys.size() <= limits.max_tokens);
    CHECK(took < std::chrono::seconds(20));   // Debug build on a shared machine; Release is ~0.3 s

    std::string many = "Subject: many\r\n\r\n";
    for (unsigned i = 0; i < 150000; ++i) many += "tok" + std::to_string(i) + " ";
    TokenizerLimits small;
    small.max_text = many.size();
    small.max_part_text = many.size();
    Tokens m = tokenize_message(many, small);
    CHECK(m.keys.size() == small.max_tokens);
}
