// message_preview (RFC 8970): which part, decoding, HTML, white space, length.
#include <catch2/catch.hpp>

#include <string>

#include "common/mime/structure.hpp"
#include "imap/preview.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

std::string preview_of(const std::string& message) {
    auto structure = mime::parse_message(message);
    return message_preview(structure.root, [&](uint64_t begin, uint64_t end) {
        return message.substr(begin, end - begin);
    });
}

}  // namespace

TEST_CASE("the first text/plain part, decoded and collapsed", "[imap][preview]") {
    std::string m =
        "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Gr=FC=DFe,\r\n\r\n   bis   bald\r\n--b--\r\n";
    CHECK(preview_of(m) == "Gr\xc3\xbc\xc3\x9f" "e, bis bald");
}

TEST_CASE("HTML only: tags, style and entities dropped", "[imap][preview]") {
    std::string m = "Content-Type: text/html\r\n\r\n<html><style>p {color: red}</style><p>Fish &amp; chips</p>"
                    "<br>today</html>\r\n";
    CHECK(preview_of(m) == "Fish & chips today");
}

TEST_CASE("no text: empty; attachments are not previewed", "[imap][preview]") {
    CHECK(preview_of("Content-Type: image/png\r\n\r\nxx\r\n").empty());
    CHECK(preview_of("Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nsecret\r\n").empty());
    CHECK(preview_of("Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uue\r\n\r\nxx\r\n").empty());
}

TEST_CASE("cut at 200 characters, never inside one", "[imap][preview]") {
    std::string body;
    for (int i = 0; i < 300; ++i) body += "\xd0\xb6";  // Cyrillic zhe, two octets
    std::string p = preview_of("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n");
    CHECK(p.size() == 2 * kPreviewChars);
    CHECK(p == body.substr(0, 2 * kPreviewChars));
}
