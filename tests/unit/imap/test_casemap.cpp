// i;unicode-casemap (RFC 5051): titlecase, then NFKD, so case and
// compatibility variants of a text compare equal.
#include <catch2/catch.hpp>

#include "imap/casemap.hpp"

using pochta::imap::casemap;

TEST_CASE("casemap: ASCII is upper-cased, other bytes kept") {
    CHECK(casemap("Hello, World 42!") == "HELLO, WORLD 42!");
    CHECK(casemap("") == "");
    CHECK(casemap("\xff\xfe ab \xc3") == "\xff\xfe AB \xc3");  // not UTF-8: copied
}

TEST_CASE("casemap: Cyrillic, German and Greek forms compare equal") {
    CHECK(casemap("привет МИР") == casemap("ПРИВЕТ мир"));
    CHECK(casemap("привет") == "ПРИВЕТ");
    CHECK(casemap("ёжик") == "Е\u0308ЖИК");  // ё decomposes: ЁЖИК's Ё the same
    CHECK(casemap("ЁЖИК") == casemap("ёжик"));
    CHECK(casemap("größer ÄPFEL") == "GRO\u0308ßER A\u0308PFEL");  // ß has no simple titlecase
    CHECK(casemap("Größer") != casemap("GROSSER"));                 // no one-to-many mappings
    CHECK(casemap("GRÖẞER") == casemap("größer"));                  // capital sharp s is ß
    CHECK(casemap("ΟΔΥΣΣΕΥΣ") == casemap("οδυσσευς"));              // final sigma is sigma
    CHECK(casemap("καλημέρα") == casemap("ΚΑΛΗΜΈΡΑ"));
    CHECK(casemap("έ") == "Ε\u0301");
}

TEST_CASE("casemap: NFKD: precomposed and decomposed, compatibility forms") {
    CHECK(casemap("caf\u00e9") == casemap("cafe\u0301"));
    CHECK(casemap("\ufb01le") == "FILE");       // the fi ligature, titlecased after decomposition
    CHECK(casemap("\u2460") == "1");             // circled digit one
    CHECK(casemap("\uff21\uff42") == "AB");      // fullwidth letters
    CHECK(casemap("\u00b5") == casemap("\u03bc"));  // micro sign and mu
    CHECK(casemap("\u01c6") == "DZ\u030c");      // dž: titlecase ǅ, then its parts
    CHECK(casemap("\ud55c") == "\u1112\u1161\u11ab");  // a Hangul syllable by arithmetic
    CHECK(casemap("日本語") == "日本語");
}

TEST_CASE("casemap: combining marks in canonical order") {
    // a + dot below (220) + acute (230) in either order is one form.
    CHECK(casemap("a\u0301\u0323") == casemap("a\u0323\u0301"));
    CHECK(casemap("a\u0301\u0323") == "A\u0323\u0301");
    CHECK(casemap("\u1ea1\u0301") == "A\u0323\u0301");  // ạ decomposed, then the acute after it
}

TEST_CASE("casemap: idempotent on mixed text") {
    const std::string text = "Straße ΣΊΣΥΦΟΣ ﬀ Ǆ Ёлка café ① x\u0301\u0323";
    CHECK(casemap(casemap(text)) == casemap(text));
}
