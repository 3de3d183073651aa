#include "common/mime/section.hpp"

namespace pochta::mime {

namespace {

// Part n of a message entity: its multipart children, or itself as part 1.
const Part* message_body_part(const Part& message, uint32_t n) {
    if (message.kind == PartKind::multipart) {
        if (n == 0 || n > message.children.size()) return nullptr;
        return &message.children[n - 1];
    }
    return n == 1 ? &message : nullptr;
}

}  // namespace

const Part* find_part(const Part& root, std::span<const uint32_t> path) {
    if (path.empty()) return &root;
    const Part* current = message_body_part(root, path[0]);
    for (size_t i = 1; current && i < path.size(); ++i) {
        uint32_t n = path[i];
        if (current->kind == PartKind::message && current->children.size() == 1) {
            current = message_body_part(current->children[0], n);
        } else if (current->kind == PartKind::multipart) {
            current = n >= 1 && n <= current->children.size() ? &current->children[n - 1] : nullptr;
        } else {
            current = nullptr;
        }
    }
    return current;
}

std::optional<ByteRange> section_range(const Part& root, std::span<const uint32_t> path, SectionText text) {
    const Part* part = find_part(root, path);
    if (!part) return std::nullopt;
    // HEADER and TEXT address a message: the root, or what a message/rfc822 part encapsulates.
    const Part* message = nullptr;
    if (path.empty()) {
        message = part;
    } else if (part->kind == PartKind::message && part->children.size() == 1) {
        message = &part->children[0];
    }
    switch (text) {
        case SectionText::all:
            if (path.empty()) return ByteRange{part->header_start, part->end};
            return ByteRange{part->body_start, part->end};
        case SectionText::mime:
            if (path.empty()) return std::nullopt;
            return ByteRange{part->header_start, part->body_start};
        case SectionText::header:
            if (!message) return std::nullopt;
            return ByteRange{message->header_start, message->body_start};
        case SectionText::text:
            if (!message) return std::nullopt;
            return ByteRange{message->body_start, message->end};
    }
    return std::nullopt;
}

}  // namespace pochta::mime
