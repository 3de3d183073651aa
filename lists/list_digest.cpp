#include "lists/list_digest.hpp"

#include <fmt/format.h>

#include "common/mime/encoded_word.hpp"
#include "common/mime/header.hpp"
#include "common/util/strings.hpp"
#include "lists/list_message.hpp"

namespace pochta::lists {

namespace {

constexpr uint32_t max_toc_field = 1024;
constexpr size_t max_toc_subject = 200;

// One line of the table of contents: "  3. Subject (author)". Decoded,
// control characters made spaces, cut, so a post cannot break the line.
std::string contents_line(size_t number, std::string_view post) {
    const uint64_t end = mime::find_header_end(post, 0, post.size());
    std::string subject;
    mime::for_each_field(post.substr(0, end), max_toc_field, [&](std::string_view name, std::string value) {
        if (!iequals(name, "Subject")) return true;
        subject = mime::decode_encoded_words(value);
        return false;
    });
    for (char& c : subject)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (subject.size() > max_toc_subject) subject = subject.substr(0, max_toc_subject) + "...";
    if (subject.empty()) subject = "(no subject)";
    const std::string author = author_address(post);
    return fmt::format("  {}. {} ({})\r\n", number, subject, author.empty() ? "unknown" : author);
}

}  // namespace

bool digest_due(const ListSettings& settings, const WaitingPosts& waiting, int64_t now) {
    if (waiting.count == 0) return false;
    return static_cast<int64_t>(waiting.count) >= settings.digest_max_posts ||
           waiting.oldest + settings.digest_every.count() <= now;
}

std::string digest_message(std::string_view list, const ListSettings& settings,
                           const std::vector<std::string_view>& posts) {
    const std::string name = settings.description.empty() ? std::string(list) : settings.description;
    const std::string boundary = "=_digest_" + random_hex(8);
    const CopyOptions options{std::string(list), &settings, false};
    std::string out = fmt::format(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}.digest@{}>\r\n"
        "MIME-Version: 1.0\r\n",
        list, list,
        mime::encode_header_text(fmt::format("{} digest: {} post{}", name, posts.size(), posts.size() == 1 ? "" : "s")),
        rfc5322_date_now(), random_hex(12),
        list.substr(list.rfind('@') + 1));
    out += list_header_fields(options);
    out += fmt::format("Content-Type: multipart/digest; boundary=\"{}\"\r\n\r\n", boundary);
    out += fmt::format("--{}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\n\r\n"
                       "{} digest, {} post{}:\r\n\r\n",
                       boundary, name, posts.size(), posts.size() == 1 ? "" : "s");
    for (size_t i = 0; i < posts.size(); ++i) out += contents_line(i + 1, posts[i]);
    for (auto post : posts) {
        out += fmt::format("\r\n--{}\r\nContent-Type: message/rfc822\r\n\r\n", boundary);
        out += post;
        if (!post.ends_with("\n")) out += "\r\n";
    }
    return out + fmt::format("\r\n--{}--\r\n", boundary);
}

}  // namespace pochta::lists
