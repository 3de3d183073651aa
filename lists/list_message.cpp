#include "lists/list_message.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "common/mime/address_list.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/header.hpp"
#include "common/util/strings.hpp"
#include "lists/list_address.hpp"
#include "lists/list_footer.hpp"

namespace pochta::lists {

namespace {

constexpr uint32_t max_field_value = 16 * 1024;

// Fields the list sets itself: those the post carried are dropped.
constexpr std::array<std::string_view, 9> list_fields{
    "list-id", "list-help", "list-subscribe", "list-unsubscribe", "list-post",
    "list-owner", "list-archive", "list-unsubscribe-post", "precedence",
};

bool is_one_of(std::string_view name, const auto& names) {
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(name, n); });
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

// A display name as an RFC 5322 phrase: quoted, or one RFC 2047 encoded
// word when it is not ASCII. Control characters (a decoded encoded word may
// hold CR LF) become spaces, so a name can never add a header field.
std::string phrase(std::string_view raw) {
    std::string text(raw);
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    const bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii) return "=?utf-8?b?" + base64(text) + "?=";
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string field_value(std::string_view header, std::string_view wanted) {
    std::string value;
    int count = 0;
    mime::for_each_field(header, max_field_value, [&](std::string_view name, std::string v) {
        if (!iequals(name, wanted)) return true;
        value = std::move(v);
        return ++count < 2;
    });
    return count == 1 ? value : std::string();
}

std::string rewritten_from(std::string_view from_value, const CopyOptions& options) {
    auto entries = mime::parse_address_list(from_value, 10);
    std::string author;
    if (!entries.empty() && entries.front().name) author = mime::decode_encoded_words(*entries.front().name);
    if (author.empty() && !entries.empty() && entries.front().host)
        author = entries.front().mailbox + "@" + *entries.front().host;
    const std::string& list_name = options.settings->description.empty() ? options.list : options.settings->description;
    return fmt::format("From: {} <{}>\r\n", phrase(fmt::format("{} via {}", author, list_name)), options.list);
}

}  // namespace

std::string archive_server(std::string_view hostname, std::optional<uint16_t> imap_port,
                           std::optional<uint16_t> imaps_port) {
    auto server = [hostname](std::string_view scheme, uint16_t port, uint16_t standard) {
        return port == standard ? fmt::format("{}://{}", scheme, hostname)
                                : fmt::format("{}://{}:{}", scheme, hostname, port);
    };
    if (imap_port && *imap_port != 0) return server("imap", *imap_port, 143);
    if (imaps_port && *imaps_port != 0) return server("imaps", *imaps_port, 993);
    return "";
}

std::string list_header_fields(const CopyOptions& options) {
    const std::string& list = options.list;
    const std::string& description = options.settings->description;
    std::string out;
    out += fmt::format("List-Id: {}<{}>\r\n", description.empty() ? "" : phrase(description) + " ", list_id(list));
    out += fmt::format("List-Help: <mailto:{}?subject=help>\r\n", command_address(list, ListCommand::owner));
    out += fmt::format("List-Subscribe: <mailto:{}>\r\n", command_address(list, ListCommand::subscribe));
    if (!options.unsubscribe_per_member)
        out += fmt::format("List-Unsubscribe: <mailto:{}>\r\n", command_address(list, ListCommand::unsubscribe));
    out += fmt::format("List-Post: <mailto:{}>\r\n", list);
    out += fmt::format("List-Owner: <mailto:{}>\r\n", command_address(list, ListCommand::owner));
    // RFC 5092: '@' and '/' may stand in a mailbox name of an IMAP URL.
    if (!options.archive_server.empty()) out += fmt::format("List-Archive: <{}/Lists/{}>\r\n", options.archive_server, list);
    out += "Precedence: list\r\n";
    out += fmt::format("X-Loop: {}\r\n", list);
    return out;
}

namespace {

std::string prefixed_subject(std::string_view field_text, std::string_view prefix) {
    auto colon = field_text.find(':');
    std::string_view value = field_text.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    if (value.find(prefix) != std::string_view::npos) return std::string(field_text);
    return fmt::format("Subject: {} {}", prefix, value);
}

}  // namespace

std::vector<RawField> raw_fields(std::string_view header) {
    std::vector<RawField> out;
    size_t pos = 0;
    while (pos < header.size()) {
        size_t end = header.find('\n', pos);
        end = end == std::string_view::npos ? header.size() : end + 1;
        std::string_view line = header.substr(pos, end - pos);
        if (line == "\r\n" || line == "\n") break;
        const bool continuation = line[0] == ' ' || line[0] == '\t';
        if (continuation && !out.empty()) {
            out.back().text = header.substr(out.back().text.data() - header.data(),
                                            end - static_cast<size_t>(out.back().text.data() - header.data()));
        } else {
            auto colon = line.find(':');
            out.push_back({trim(line.substr(0, colon == std::string_view::npos ? 0 : colon)), line});
        }
        pos = end;
    }
    return out;
}

std::string list_id(std::string_view list) {
    std::string out(list);
    std::replace(out.begin(), out.end(), '@', '.');
    return out;
}

bool has_looped(std::string_view message, std::string_view list) {
    const uint64_t end = mime::find_header_end(message, 0, message.size());
    bool looped = false;
    mime::for_each_field(message.substr(0, end), max_field_value, [&](std::string_view name, std::string value) {
        looped = iequals(name, "X-Loop") && iequals(trim(value), list);
        return !looped;
    });
    return looped;
}

std::string author_address(std::string_view message) {
    const uint64_t end = mime::find_header_end(message, 0, message.size());
    auto entries = mime::parse_address_list(field_value(message.substr(0, end), "From"), 10);
    for (const auto& e : entries)
        if (e.host) return to_lower(e.mailbox + "@" + *e.host);
    return {};
}

std::string list_copy(std::string_view message, const CopyOptions& options) {
    const uint64_t end = mime::find_header_end(message, 0, message.size());
    std::string_view header = message.substr(0, end);
    std::string out;
    out.reserve(message.size() + 1024);
    std::string author_from;
    for (const auto& field : raw_fields(header)) {
        if (is_one_of(field.name, list_fields)) continue;
        if (options.rewrite_from && iequals(field.name, "Reply-To")) continue;
        if (options.rewrite_from && iequals(field.name, "From")) {
            author_from = field.text.substr(field.text.find(':') + 1);
            out += rewritten_from(mime::unfold(author_from), options);
            continue;
        }
        if (iequals(field.name, "Subject") && !options.settings->subject_prefix.empty()) {
            out += prefixed_subject(field.text, options.settings->subject_prefix);
            continue;
        }
        out += field.text;
    }
    if (!author_from.empty()) out += "Reply-To:" + author_from;
    if (!out.empty() && out.back() != '\n') out += "\r\n";
    out += list_header_fields(options);
    out += "\r\n";
    out += message.substr(end);
    return with_footer(out, options.settings->footer);
}

}  // namespace pochta::lists
