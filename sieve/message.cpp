#include "sieve/message.hpp"

#include "common/mime/charset.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/header.hpp"
#include "common/mime/html_text.hpp"
#include "common/mime/structure.hpp"
#include "common/mime/transfer_encoding.hpp"
#include "common/util/strings.hpp"
#include "sieve/address_parts.hpp"

namespace pochta::sieve {

namespace {

constexpr size_t max_fields = 10000;  // a header beyond this is not looked at

void collect_parts(std::string_view raw, const mime::Part& part, std::vector<BodyPart>& out) {
    if (part.kind != mime::PartKind::leaf) {
        for (const mime::Part& child : part.children) collect_parts(raw, child, out);
        return;
    }
    BodyPart body{part.type, part.subtype, {}};
    std::string_view bytes = raw.substr(part.body_start, part.end - part.body_start);
    body.content = mime::decode_transfer_encoding(bytes, part.encoding);
    if (part.is_text()) {
        const std::string* charset = part.param("charset");
        std::optional<std::string> utf8 = charset ? mime::to_utf8(body.content, *charset) : std::nullopt;
        body.content = utf8 ? std::move(*utf8) : mime::sanitize_utf8(body.content);
    }
    out.push_back(std::move(body));
}

}  // namespace

const std::string& HeaderField::decoded() const {
    if (!decoded_) decoded_ = mime::decode_encoded_words(value);
    return *decoded_;
}

const std::vector<std::string>& HeaderField::addresses() const {
    if (!addresses_) addresses_ = header_addresses(value);
    return *addresses_;
}

std::vector<HeaderField> split_header(std::string_view header) {
    std::vector<HeaderField> fields;
    size_t pos = 0;
    while (pos < header.size() && fields.size() < max_fields) {
        size_t end = pos;
        do {
            size_t newline = header.find('\n', end);
            end = newline == std::string_view::npos ? header.size() : newline + 1;
        } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
        std::string_view field = header.substr(pos, end - pos);
        pos = end;
        size_t colon = field.find(':');
        std::string_view name = colon == std::string_view::npos ? std::string_view() : trim(field.substr(0, colon));
        if (name.empty() || name.find_first_of(" \t\r\n") != std::string_view::npos) continue;
        HeaderField f;
        f.name = name;
        f.value = std::string(trim(mime::unfold(field.substr(colon + 1))));
        f.raw = field;
        fields.push_back(std::move(f));
    }
    return fields;
}

Message::Message(std::string_view raw) : raw_(raw) {
    body_start_ = mime::find_header_end(raw, 0, raw.size());
    std::string_view header = raw.substr(0, body_start_);
    // The blank line ending the header is no field.
    while (!header.empty() && (header.back() == '\n' || header.back() == '\r')) header.remove_suffix(1);
    header_ = split_header(header);
}

const std::vector<BodyPart>& Message::body_parts() const {
    if (!parts_) {
        parts_.emplace();
        mime::Structure structure = mime::parse_message(raw_);
        collect_parts(raw_, structure.root, *parts_);
    }
    return *parts_;
}

const std::vector<std::string>& Message::text_parts() const {
    if (!texts_) {
        texts_.emplace();
        for (const BodyPart& part : body_parts()) {
            if (part.type != "text") continue;
            texts_->push_back(part.subtype == "html" ? mime::html_text(part.content) : part.content);
        }
    }
    return *texts_;
}

std::string rebuild_message(const Message& message, const std::vector<HeaderField>& header) {
    std::string out;
    for (const HeaderField& field : header) {
        out += field.raw;
        if (out.empty() || out.back() != '\n') out += "\r\n";
    }
    out += "\r\n";
    out.append(message.raw_body());
    return out;
}

}  // namespace pochta::sieve
