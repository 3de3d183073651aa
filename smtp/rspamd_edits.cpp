#include "smtp/rspamd_edits.hpp"

#include <algorithm>

#include "common/mime/encoded_word.hpp"
#include "common/util/strings.hpp"
#include "mailauth/dkim_canon.hpp"

namespace pochta::smtp {

namespace {

using mailauth::HeaderField;

uint64_t field_start(std::string_view message, const HeaderField& field) {
    return static_cast<uint64_t>(field.raw.data() - message.data());
}

// Just past the field's line end.
uint64_t field_end(std::string_view message, const HeaderField& field) {
    uint64_t end = field_start(message, field) + field.raw.size();
    if (end < message.size() && message[end] == '\r') ++end;
    if (end < message.size() && message[end] == '\n') ++end;
    return end;
}

// A field from its name to its line end, included (the blank line after
// the header stays).
store::ContentEdit removal(std::string_view message, const HeaderField& field) {
    const uint64_t start = field_start(message, field);
    return {start, field_end(message, field) - start, ""};
}

std::vector<const HeaderField*> named(const std::vector<HeaderField>& fields, std::string_view name) {
    std::vector<const HeaderField*> out;
    for (const auto& field : fields)
        if (iequals(field.name, name)) out.push_back(&field);
    return out;
}

void add_removals(std::string_view message, const std::vector<HeaderField>& fields,
                  const spam::RspamdResult::Removal& removal_asked, std::vector<store::ContentEdit>& edits) {
    const auto matching = named(fields, removal_asked.name);
    const int n = removal_asked.occurrence;
    const int count = static_cast<int>(matching.size());
    if (n == 0) {
        for (const HeaderField* field : matching) edits.push_back(removal(message, *field));
    } else if (n > 0 && n <= count) {
        edits.push_back(removal(message, *matching[n - 1]));
    } else if (n < 0 && -n <= count) {
        edits.push_back(removal(message, *matching[count + n]));
    }
}

// The first Subject field's text replaced (its line end kept), or a new
// Subject field at the end of the header when there is none.
store::ContentEdit new_subject(std::string_view message, const mailauth::SplitMessage& split, std::string_view subject) {
    std::string field = "Subject: " + mime::encode_header_text(subject);
    const auto subjects = named(split.fields, "subject");
    if (!subjects.empty()) {
        const HeaderField& old = *subjects.front();
        return {field_start(message, old), old.raw.size(), std::move(field)};
    }
    const uint64_t header_end = split.fields.empty() ? 0 : field_end(message, split.fields.back());
    return {header_end, 0, field + "\r\n"};
}

bool overlaps(const store::ContentEdit& a, const store::ContentEdit& b) {
    if (a.offset == b.offset) return a.length > 0 && b.length > 0;
    const auto& first = a.offset < b.offset ? a : b;
    const auto& second = a.offset < b.offset ? b : a;
    return first.offset + first.length > second.offset;
}

}  // namespace

std::vector<store::ContentEdit> rspamd_header_edits(std::string_view message, const spam::RspamdResult& result) {
    const mailauth::SplitMessage split = mailauth::split_message(message);
    std::vector<store::ContentEdit> edits;
    for (const auto& asked : result.remove_headers) add_removals(message, split.fields, asked, edits);
    std::vector<store::ContentEdit> out;
    if (result.action == spam::RspamdAction::rewrite_subject && !result.subject.empty())
        out.push_back(new_subject(message, split, result.subject));
    return merge_edits(std::move(out), std::move(edits));
}

std::vector<store::ContentEdit> merge_edits(std::vector<store::ContentEdit> edits, std::vector<store::ContentEdit> more) {
    for (auto& edit : more) {
        const bool clash = std::any_of(edits.begin(), edits.end(),
                                       [&](const store::ContentEdit& kept) { return overlaps(kept, edit); });
        if (!clash) edits.push_back(std::move(edit));
    }
    std::stable_sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
    return edits;
}

}  // namespace pochta::smtp
