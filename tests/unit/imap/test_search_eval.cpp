// SearchEvaluator over a synthetic mailbox: every key, combinations,
// decoding of headers and bodies, folding, and lazy loading.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "imap/search_eval.hpp"
#include "imap/search_text.hpp"
#include "search_fixture.hpp"
#include "store/store.hpp"

using namespace pochta;
using namespace pochta::imap;
using namespace pochta::imap::test;

namespace {

Setup with(uint32_t flags, int64_t internal_date, uint64_t modseq, bool recent = false,
           std::vector<std::string> keywords = {}) {
    Setup setup;
    setup.flags = flags;
    setup.internal_date = internal_date;
    setup.modseq = modseq;
    setup.recent = recent;
    setup.keywords = std::move(keywords);
    return setup;
}

// Twenty messages: nine crafted ones, then eleven fillers.
void fill(Mailbox& box) {
    box.add(
        "From: Alice Example <alice@example.org>\n"
        "To: bob@example.net\n"
        "Subject: Hello world\n"
        "Date: Mon, 02 Jan 2023 10:00:00 +0000\n"
        "Message-ID: <m1@example.org>\n"
        "\n"
        "The quick brown fox\njumps over the lazy dog.\n",
        with(store::flag_seen, at(2023, 1, 2, 10), 5, false, {}));
    box.add(
        "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jorg@example.de>\n"
        "To: alice@example.org\n"
        "Subject: =?UTF-8?B?0J/RgNC40LLQtdGCINC80LjRgA==?=\n"
        "Date: Tue, 03 Jan 2023 09:00:00 +0100\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "\n"
        "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, lange Zeile mit weichem =\n"
        "Umbruch.\n",
        with(store::flag_answered | store::flag_flagged, at(2023, 1, 3, 8), 9, false, {}));
    box.add(
        "From: Eleni <eleni@example.gr>\n"
        "To: bob@example.net\n"
        "Subject: Greek\n"
        "Date: Wed, 4 Jan 2023 12:00:00 +0200\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"b1\"\n"
        "\n"
        "--b1\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "zpXOu867zrfOvc65zrrPjCDOus61zq/OvM61zr3OvyDOs865zrEgzrTOv866zrnOvM6uCg==\n"
        "--b1\n"
        "Content-Type: text/html; charset=UTF-8\n"
        "\n"
        "<p>html part</p>\n"
        "--b1--\n",
        with(0, at(2023, 1, 4), 3, false, {"$Work"}));
    box.add(
        "From: pierre@example.fr\n"
        "To: bob@example.net\n"
        "Subject: A very long\n"
        " subject line\n"
        "Date: Thu, 5 Jan 2023 12:00:00 +0000\n"
        "Content-Type: text/plain; charset=ISO-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "\n"
        "Caf=E9 cr=E8me\n",
        with(store::flag_deleted, at(2023, 1, 5), 12, false, {}));
    box.add(
        "From: ivan@example.ru\n"
        "To: bob@example.net\n"
        "Cc: \"Doe, John\" <john@example.com>, mary@example.com\n"
        "Subject: Russian\n"
        "Date: Fri, 6 Jan 2023 12:00:00 +0300\n"
        "Content-Type: text/plain; charset=KOI8-R\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "\xed\xcf\xd3\xcb\xd7\xc1 is a city\n",
        with(store::flag_draft, at(2023, 1, 6), 2, false, {}));
    box.add(
        "From: carol@example.org\n"
        "To: bob@example.net\n"
        "Subject: Attachment\n"
        "Date: Sat, 7 Jan 2023 12:00:00 +0000\n"
        "X-Custom: Foo Bar\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"xx\"\n"
        "\n"
        "--xx\n"
        "Content-Type: text/plain\n"
        "\n"
        "see the attachment\n"
        "--xx\n"
        "Content-Type: application/octet-stream\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "dGhlIHNlY3JldHdvcmQgaXMgaGVyZQo=\n"
        "--xx--\n",
        with(store::flag_seen, at(2023, 1, 7), 20, true, {}));
    box.add(
        "From: bob@example.net\n"
        "To: alice@example.org\n"
        "Subject: Re: Hello world\n"
        "In-Reply-To: <m1@example.org>\n"
        "\n"
        "no date header here\n",
        with(0, at(2023, 1, 8, 23, 30), 7, true, {}));
    box.add(
        "From: dave@example.org\n"
        "To: team@example.org\n"
        "Bcc: hidden@example.org\n"
        "Subject: Late night\n"
        "Date: Tue, 3 Jan 2023 23:30:00 -0800\n"
        "\n"
        "written late\n",
        with(0, at(2023, 1, 9), 4, false, {}));
    box.add(
        "From: erin@example.org\n"
        "To: bob@example.net\n"
        "Subject: Forwarded\n"
        "Date: Mon, 9 Jan 2023 12:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"outer\"\n"
        "\n"
        "--outer\n"
        "Content-Type: text/plain\n"
        "\n"
        "see below\n"
        "--outer\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "From: someone@example.com\n"
        "Subject: Inner subject\n"
        "\n"
        "inner body text\n"
        "--outer--\n",
        with(store::flag_seen, at(2023, 1, 10), 6, false, {}));
    for (int n = 10; n <= 20; ++n) {
        std::string text = "From: user" + std::to_string(n) + "@example.com\nTo: bob@example.net\nSubject: Filler " +
                           std::to_string(n) + "\nDate: " + std::to_string(n) + " Feb 2023 08:00:00 +0000\n\nfiller body " +
                           std::to_string(n) + "\n";
        Setup setup;
        setup.internal_date = at(2023, 2, n);
        setup.size = 1000 + static_cast<uint64_t>(n) * 100;  // 2000 for n = 10 ... 3000 for n = 20
        setup.flags = n % 2 == 0 ? uint32_t{store::flag_seen} : 0u;
        setup.modseq = 100 + static_cast<uint64_t>(n);
        if (n == 15) setup.keywords = {"$work", "Important"};
        box.add(text, setup);
    }
}

struct Fixture {
    Fixture() { fill(box); }

    std::vector<uint32_t> search(std::string_view args) {
        return search_with(args, box.context());
    }
    std::vector<uint32_t> search_with(std::string_view args, const SearchContext& context) {
        SearchEvaluator evaluator(query_of(args), context);
        std::vector<uint32_t> seqs;
        for (size_t i : search_messages(evaluator, box.messages)) seqs.push_back(box.messages[i].seq);
        return seqs;
    }

    Mailbox box;
};

using Seqs = std::vector<uint32_t>;

Seqs range(uint32_t first, uint32_t last) {
    Seqs out;
    for (uint32_t n = first; n <= last; ++n) out.push_back(n);
    return out;
}

}  // namespace

TEST_CASE_METHOD(Fixture, "search: ALL and flags") {
    CHECK(search("ALL") == range(1, 20));
    CHECK(search("SEEN") == Seqs{1, 6, 9, 10, 12, 14, 16, 18, 20});
    CHECK(search("UNSEEN") == Seqs{2, 3, 4, 5, 7, 8, 11, 13, 15, 17, 19});
    CHECK(search("ANSWERED") == Seqs{2});
    CHECK(search("UNANSWERED").size() == 19);
    CHECK(search("FLAGGED") == Seqs{2});
    CHECK(search("DELETED") == Seqs{4});
    CHECK(search("UNDELETED").size() == 19);
    CHECK(search("DRAFT") == Seqs{5});
    CHECK(search("UNDRAFT").size() == 19);
    CHECK(search("RECENT") == Seqs{6, 7});
    CHECK(search("NEW") == Seqs{7});
    CHECK(search("OLD").size() == 18);
}

TEST_CASE_METHOD(Fixture, "search: keywords are case-insensitive") {
    CHECK(search("KEYWORD $work") == Seqs{3, 15});
    CHECK(search("KEYWORD $WORK") == Seqs{3, 15});
    CHECK(search("KEYWORD important") == Seqs{15});
    CHECK(search("KEYWORD $Nope").empty());
    CHECK(search("UNKEYWORD $Work").size() == 18);
}

TEST_CASE_METHOD(Fixture, "search: sequence and UID sets") {
    CHECK(search("2:4") == Seqs{2, 3, 4});
    CHECK(search("*") == Seqs{20});
    CHECK(search("19:*") == Seqs{19, 20});
    CHECK(search("1,3,5:6") == Seqs{1, 3, 5, 6});
    CHECK(search("30:40").empty());
    CHECK(search("UID 101:103") == Seqs{1, 2, 3});
    CHECK(search("UID *") == Seqs{20});
    CHECK(search("UID 500:*") == Seqs{20});  // n:* with n above the highest UID still names it
    CHECK(search("UID 1:100").empty());
}

TEST_CASE_METHOD(Fixture, "search: size and MODSEQ") {
    CHECK(search("LARGER 2900") == Seqs{20});
    CHECK(search("SMALLER 2200") == Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    CHECK(search("LARGER 2000 SMALLER 2300") == Seqs{11, 12});
    CHECK(search("MODSEQ 100") == range(10, 20));
    CHECK(search("MODSEQ 9") == Seqs{2, 4, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
    CHECK(search("MODSEQ \"/flags/\\\\draft\" all 20") == Seqs{6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
}

TEST_CASE_METHOD(Fixture, "search: internal date keys use the day in the configured zone") {
    CHECK(search("ON 5-Jan-2023") == Seqs{4});
    CHECK(search("BEFORE 3-Jan-2023") == Seqs{1});
    CHECK(search("SINCE 10-Jan-2023") == range(9, 20));
    CHECK(search("SINCE 4-Jan-2023 BEFORE 6-Jan-2023") == Seqs{3, 4});
    CHECK(search("ON 8-Jan-2023") == Seqs{7});  // 23:30 UTC

    SearchContext east = box.context();
    east.utc_offset = 3600;  // 00:30 the next day
    CHECK(search_with("ON 8-Jan-2023", east).empty());
    CHECK(search_with("ON 9-Jan-2023", east) == Seqs{7, 8});
    SearchContext west = box.context();
    west.utc_offset = -13 * 3600;  // messages 1 and 2 fall on the day before
    CHECK(search_with("ON 2-Jan-2023", west) == Seqs{2});
    CHECK(search_with("ON 1-Jan-2023", west) == Seqs{1});

    // The server's local zone: whatever it is, the evaluation agrees with localtime_r.
    SearchContext local = box.context();
    local.utc_offset.reset();
    CHECK(search_with("SINCE 1-Feb-2023", local).size() >= 10);
}

TEST_CASE_METHOD(Fixture, "search: sent date keys use the Date field as written") {
    CHECK(search("SENTON 2-Jan-2023") == Seqs{1});
    // Written 3 Jan -0800 (4 Jan in UTC): the written day counts.
    CHECK(search("SENTON 3-Jan-2023") == Seqs{2, 8});
    CHECK(search("SENTBEFORE 4-Jan-2023") == Seqs{1, 2, 8});
    CHECK(search("SENTSINCE 10-Feb-2023") == range(10, 20));
    CHECK(search("SENTSINCE 9-Jan-2023 SENTBEFORE 10-Jan-2023") == Seqs{9});
    // Message 7 has no Date field: it matches no sent key, so NOT matches it.
    CHECK(search("SENTSINCE 1-Jan-1990").size() == 19);
    CHECK(search("NOT SENTSINCE 1-Jan-1990") == Seqs{7});
}

TEST_CASE_METHOD(Fixture, "search: address header keys") {
    CHECK(search("FROM alice") == Seqs{1});
    CHECK(search("FROM ALICE@EXAMPLE.ORG") == Seqs{1});
    CHECK(search("TO alice@example.org") == Seqs{2, 7});
    CHECK(search("FROM \"Jörg Müller\"") == Seqs{2});  // decoded encoded word
    CHECK(search("FROM \"JÖRG MÜLLER\"") == Seqs{2});  // non-ASCII case folding
    CHECK(search("FROM \"=?UTF-8?Q?J\"") == Seqs{2});  // the raw form
    CHECK(search("FROM \"jörg müller <jorg@example.de>\"") == Seqs{2});
    CHECK(search("CC \"doe, john\"") == Seqs{5});
    CHECK(search("CC \"Doe, John <john@example.com>\"") == Seqs{5});
    CHECK(search("CC mary") == Seqs{5});
    CHECK(search("BCC hidden") == Seqs{8});
    CHECK(search("BCC \"\"") == Seqs{8});  // an empty string: the field exists
    CHECK(search("FROM nobody").empty());
}

TEST_CASE_METHOD(Fixture, "search: SUBJECT and HEADER") {
    CHECK(search("SUBJECT hello") == Seqs{1, 7});
    CHECK(search("SUBJECT \"привет\"") == Seqs{2});
    CHECK(search("SUBJECT \"ПРИВЕТ МИР\"") == Seqs{2});
    CHECK(search("SUBJECT \"long subject\"") == Seqs{4});  // a folded line, unfolded
    CHECK(search("SUBJECT filler") == range(10, 20));
    CHECK(search("HEADER X-Custom \"\"") == Seqs{6});
    CHECK(search("HEADER x-custom \"foo bar\"") == Seqs{6});
    CHECK(search("HEADER X-Custom baz").empty());
    CHECK(search("HEADER In-Reply-To m1@example") == Seqs{7});
    CHECK(search("HEADER Message-ID \"\"") == Seqs{1});
    CHECK(search("HEADER Content-Transfer-Encoding base64") == Seqs{});  // only in part headers
    CHECK(search("HEADER Date \"\"").size() == 19);
}

TEST_CASE_METHOD(Fixture, "search: BODY decodes transfer encodings and charsets") {
    CHECK(search("BODY \"quick BROWN\"") == Seqs{1});
    CHECK(search("BODY \"GRÜẞE AUS MÜNCHEN\"") == Seqs{2});  // QP, UTF-8, capital sharp s folded
    CHECK(search("BODY \"weichem Umbruch\"") == Seqs{2});       // soft line break removed
    CHECK(search("BODY \"ΕΛΛΗΝΙΚΌ ΚΕΊΜΕΝΟ\"") == Seqs{3});      // base64 UTF-8, Greek folding
    CHECK(search("BODY \"html part\"") == Seqs{3});
    CHECK(search("BODY \"café CRÈME\"") == Seqs{4});            // ISO-8859-1
    CHECK(search("BODY \"МОСКВА\"") == Seqs{5});                // KOI8-R
    CHECK(search("BODY secretword").empty());                   // inside a non-text part
    CHECK(search("BODY \"inner body\"") == Seqs{9});            // message/rfc822 body
    CHECK(search("BODY \"inner subject\"") == Seqs{9});         // its header is body text too
    CHECK(search("BODY \"hello world\"").empty());              // the header is not the body
    CHECK(search("BODY \"\"") == range(1, 20));
}

TEST_CASE_METHOD(Fixture, "search: TEXT is header plus body") {
    CHECK(search("TEXT \"hello world\"") == Seqs{1, 7});
    CHECK(search("TEXT \"lazy dog\"") == Seqs{1});
    CHECK(search("TEXT \"привет\"") == Seqs{2});  // decoded subject
    CHECK(search("TEXT x-custom") == Seqs{6});    // field names are text too
    CHECK(search("TEXT \"москва\"") == Seqs{5});
}

TEST_CASE_METHOD(Fixture, "search: AND, OR, NOT and nesting") {
    CHECK(search("SEEN FROM alice") == Seqs{1});
    CHECK(search("OR ANSWERED DELETED") == Seqs{2, 4});
    CHECK(search("NOT SEEN NOT 10:20") == Seqs{2, 3, 4, 5, 7, 8});
    CHECK(search("OR (FROM alice) (BODY \"москва\")") == Seqs{1, 5});
    CHECK(search("NOT (SEEN OR DELETED DRAFT)").size() == 20);  // (SEEN AND (DELETED OR DRAFT)) is empty
    CHECK(search("NOT (OR SEEN DELETED)") == Seqs{2, 3, 5, 7, 8, 11, 13, 15, 17, 19});
    CHECK(search("OR OR FLAGGED DRAFT (KEYWORD $work UID 115)") == Seqs{2, 5, 15});
    CHECK(search("(((ALL)))") == range(1, 20));
    CHECK(search("UNSEEN SUBJECT filler SINCE 15-Feb-2023") == Seqs{15, 17, 19});
}

TEST_CASE_METHOD(Fixture, "search: flag, date and size keys never read messages") {
    for (const char* args : {"ALL", "SEEN", "UNSEEN NOT DELETED", "OR FLAGGED RECENT", "SINCE 1-Jan-2023 LARGER 10",
                             "UID 1:* KEYWORD $work", "NEW", "MODSEQ 3 2:*"}) {
        box.calls = {};
        SearchQuery query = query_of(args);
        CHECK_FALSE(needs_content(query));
        CHECK(content_need(query) == ContentNeed::none);
        search(args);
        INFO(args);
        CHECK(box.calls.raw == 0);
        CHECK(box.calls.structure == 0);
    }
}

TEST_CASE_METHOD(Fixture, "search: envelope keys read the structure only") {
    box.calls = {};
    CHECK(content_need(query_of("FROM alice SENTON 2-Jan-2023")) == ContentNeed::structure);
    CHECK(search("FROM alice SENTON 2-Jan-2023") == Seqs{1});
    CHECK(box.calls.raw == 0);
    CHECK(box.calls.structure == 20);  // once per message, though two keys need it
}

TEST_CASE_METHOD(Fixture, "search: other header fields read the header") {
    CHECK(content_need(query_of("HEADER X-Custom foo")) == ContentNeed::header);
    box.calls = {};
    CHECK(search("HEADER X-Custom foo") == Seqs{6});
    CHECK(box.calls.raw == 20);

    box.provide_headers();
    box.calls = {};
    CHECK(search("HEADER X-Custom foo TEXT bar") == Seqs{6});
    CHECK(box.calls.raw == 0);  // TEXT found "bar" in the header
    CHECK(box.calls.header == 20);
    box.calls = {};
    CHECK(search("HEADER X-Custom foo TEXT \"the attachment\"") == Seqs{6});
    CHECK(box.calls.raw == 1);  // only message 6 got past the header key to TEXT's body
    CHECK(box.calls.header == 20);
}

TEST_CASE_METHOD(Fixture, "search: content keys are evaluated after cheap ones") {
    box.calls = {};
    CHECK(content_need(query_of("BODY x")) == ContentNeed::full);
    CHECK(search("BODY \"filler body\" UNSEEN") == Seqs{11, 13, 15, 17, 19});
    CHECK(box.calls.raw == 11);  // unseen messages only
    box.calls = {};
    CHECK(search("OR SEEN BODY \"filler body 11\"") == Seqs{1, 6, 9, 10, 11, 12, 14, 16, 18, 20});
    CHECK(box.calls.raw == 11);
    box.calls = {};
    CHECK(search("BODY fox TEXT lazy") == Seqs{1});
    CHECK(box.calls.raw == 20);  // once per message for both keys
}

TEST_CASE("search: messages without data callbacks never match string keys") {
    SearchMessage bare;
    bare.seq = 1;
    bare.uid = 7;
    SearchQuery query = query_of("OR BODY x OR FROM y OR HEADER X-A \"\" SENTON 1-Jan-2020");
    SearchContext context;
    context.message_count = 1;
    context.max_uid = 7;
    SearchEvaluator evaluator(query, context);
    CHECK_FALSE(evaluator.matches(bare));
    SearchEvaluator all(query_of("NOT BODY x"), context);
    CHECK(all.matches(bare));
}

TEST_CASE("search: a structure with offsets beyond the message is not trusted") {
    mime::Structure structure = mime::parse_message(crlf("Subject: x\n\nbody text\n"));
    structure.root.end = 1u << 30;
    std::string raw = crlf("Subject: x\n\nbody text\n");
    SearchMessage m;
    m.seq = 1;
    m.structure = [&]() -> const mime::Structure& { return structure; };
    m.raw = [&]() -> std::string_view { return raw; };
    SearchContext context;
    context.message_count = 1;
    SearchEvaluator evaluator(query_of("BODY body"), context);
    CHECK_FALSE(evaluator.matches(m));
    SearchEvaluator subject(query_of("SUBJECT x"), context);
    CHECK(subject.matches(m));
}

TEST_CASE("search: uses_modseq and needs_content") {
    CHECK(uses_modseq(query_of("MODSEQ 5")));
    CHECK(uses_modseq(query_of("OR SEEN (NOT MODSEQ 5)")));
    CHECK_FALSE(uses_modseq(query_of("SEEN")));
    CHECK(needs_content(query_of("OR SEEN TEXT x")));
    CHECK(content_need(query_of("OR SUBJECT a HEADER X-B c")) == ContentNeed::header);
}

TEST_CASE("search: 5000 messages with index keys stay cheap") {
    Mailbox box;
    const std::string text = "From: a@example.org\nSubject: s\n\nbody\n";
    for (uint32_t i = 0; i < 5000; ++i) {
        Setup setup;
        setup.internal_date = at(2023, 1, 1) + i * 3600;
        setup.flags = i % 3 == 0 ? uint32_t{store::flag_seen} : 0u;
        setup.size = 100 + i;
        box.add(text, setup);
    }
    box.calls = {};
    auto start = std::chrono::steady_clock::now();
    SearchEvaluator evaluator(query_of("UNSEEN SINCE 1-Feb-2023 SMALLER 4000 NOT 1:10"), box.context());
    std::vector<size_t> hits = search_messages(evaluator, box.messages);
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(box.calls.raw == 0);
    CHECK(box.calls.structure == 0);
    // Hours 732..3899 (from 1 Feb 00:00, below size 4000), two of every three unseen.
    size_t expected = 0;
    for (uint32_t i = 732; i < 3900; ++i) expected += i % 3 != 0;
    CHECK(hits.size() == expected);
    CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("fold_case: Latin, Greek and Cyrillic") {
    CHECK(fold_case("HeLLo") == "hello");
    CHECK(fold_case("ÀÉÎÕÜ ÇÑ") == "àéîõü çñ");
    CHECK(fold_case("ŁÓDŹ ŒUVRE Ÿ") == "łódź œuvre ÿ");
    CHECK(fold_case("ΑΒΓΔ ΆΈΉΊΌΎΏ ΣΟΦΟΣ") == "αβγδ άέήίόύώ σοφοσ");
    CHECK(fold_case("σοφος") == "σοφοσ");  // final sigma
    CHECK(fold_case("ПРИВЕТ ЁЖИК ЄЇ") == "привет ёжик єї");
    CHECK(fold_case("ẞ") == "ß");
    CHECK(fold_case("ẠẢ") == "ạả");
    CHECK(fold_case("日本語") == "日本語");
    CHECK(fold_case(std::string("\xff\xc3(A", 4)) == std::string("\xff\xc3(a", 4));  // invalid bytes kept
    CHECK(fold_code_point(0x130) == 0x130);  // no Turkish rules
}

TEST_CASE("search: the budget counts the text string keys scan") {
    Mailbox box;
    std::string body(64 * 1024, 'x');
    for (int i = 0; i < 4; ++i) box.add("Subject: big\n\n" + body + "\n");
    SearchQuery query = query_of("BODY needle");

    SearchBudget roomy;
    roomy.max_octets = 4 * body.size() + 1024;
    SearchContext context = box.context();
    context.budget = &roomy;
    CHECK(search_messages(SearchEvaluator(query, context), box.messages).empty());
    CHECK(roomy.used >= 4 * body.size());

    SearchBudget tight;
    tight.max_octets = 2 * body.size();
    context.budget = &tight;
    CHECK_THROWS_AS(search_messages(SearchEvaluator(query, context), box.messages), SearchTooExpensive);

    SearchBudget late;
    late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    context.budget = &late;
    CHECK_THROWS_AS(search_messages(SearchEvaluator(query, context), box.messages), SearchTooExpensive);

    // Keys that read no text cost nothing.
    context.budget = &tight;
    tight.used = 0;
    CHECK(search_messages(SearchEvaluator(query_of("LARGER 10"), context), box.messages).size() == 4);
    CHECK(tight.used == 0);
}
