#include "store/content_edit.hpp"

#include <stdexcept>

#include "store/result.hpp"
#include "store/spool.hpp"

namespace pochta::store {
namespace {

// Calls `piece` with the edited content in order, as slices of `data` and edit texts.
template <typename Piece>
void for_each_piece(std::string_view data, const std::vector<ContentEdit>& edits, Piece piece) {
    uint64_t at = 0;
    for (const auto& edit : edits) {
        if (edit.offset < at || edit.offset + edit.length > data.size())
            throw std::invalid_argument("content edits overlap or reach beyond the message");
        piece(data.substr(at, edit.offset - at));
        piece(std::string_view(edit.text));
        at = edit.offset + edit.length;
    }
    piece(data.substr(at));
}

}  // namespace

std::string apply_edits(std::string_view data, const std::vector<ContentEdit>& edits) {
    std::string out;
    out.reserve(data.size() + 1024);
    for_each_piece(data, edits, [&out](std::string_view piece) { out += piece; });
    return out;
}

std::shared_ptr<Spool> edited_spool(Spool& source, const std::vector<ContentEdit>& edits) {
    auto copy = std::make_shared<Spool>(source.path().parent_path());
    for_each_piece(source.view(), edits, [&copy](std::string_view piece) { copy->append(piece); });
    if (Error error = copy->finish()) throw StoreError(error.message, error.kind);
    return copy;
}

}  // namespace pochta::store
