// RFC 5256 section 2.1 base subject extraction.
#include <catch2/catch.hpp>

#include "imap/base_subject.hpp"

using namespace pochta::imap;

namespace {

struct Vector {
    const char* subject;
    const char* base;
    bool reply;
};

}  // namespace

TEST_CASE("base_subject: vectors") {
    const Vector vectors[] = {
        {"Hello", "Hello", false},
        {"Re: Hello", "Hello", true},
        {"RE: re: Fwd: Hello", "Hello", true},
        {"Fw: Hello", "Hello", true},
        {"FWD:Hello", "Hello", true},
        {"Re : Hello", "Hello", true},           // WSP before the colon
        {"Re[2]: Hello", "Hello", true},         // a blob inside subj-refwd
        {"Re [list]: Hello", "Hello", true},
        {"[PATCH] Re: fix", "fix", true},        // blobs before subj-refwd
        {"[list] Hello", "Hello", false},        // step 4: a leading blob
        {"[a][b] c", "c", false},
        {"[a] [b] Re: [c] d", "d", true},
        {"[list]", "[list]", false},             // removing it would leave nothing
        {"[list]  ", "[list]", false},
        {"Hello (fwd)", "Hello", true},
        {"Hello (FWD) (fwd)  ", "Hello", true},
        {"[Fwd: Re: Hello]", "Hello", true},     // step 6, then again from step 2
        {"[fwd: [list] Hello (fwd)]", "Hello", true},
        {"[fwd: unterminated", "[fwd: unterminated", false},
        {"Hello\tworld   again", "Hello world again", false},
        {"  Hello  ", "Hello", false},
        {"Reply to this", "Reply to this", false},
        {"Fwdx: no", "Fwdx: no", false},
        {"Re:", "", true},
        {"", "", false},
        {"   ", "", false},
        {"Re: Re: Re:  ", "", true},
        {"=?utf-8?q?Re=3A_Caf=C3=A9?=", "Café", true},   // step 1 decodes first
        {"Re: =?koi8-r?b?7c/Ty9fB?=", "Москва", true},
        {"Fwd: [list] Re: x (fwd)", "x", true},
        {"Re: [list]", "[list]", true},
    };
    for (const Vector& v : vectors) {
        BaseSubject b = base_subject(v.subject);
        INFO("subject: [" << v.subject << "]");
        CHECK(b.text == v.base);
        CHECK(b.reply_or_forward == v.reply);
    }
}

TEST_CASE("base_subject: long hostile subjects finish") {
    std::string many_re;
    for (int i = 0; i < 20000; ++i) many_re += "Re: ";
    many_re += "end";
    CHECK(base_subject(many_re).text == "end");

    std::string brackets(50000, '[');
    CHECK(base_subject(brackets).text == brackets);
    std::string blobs;
    for (int i = 0; i < 5000; ++i) blobs += "[x] ";
    blobs += "y";
    CHECK(base_subject(blobs).text == "y");
}
