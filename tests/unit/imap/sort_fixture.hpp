// The SORT and THREAD tests' view of a synthetic mailbox: each message with
// the keys the store would keep for it, made and read back through their
// stored form (imap/sort_keys.hpp), as a SORT on the server sees them.
#pragma once

#include <vector>

#include "imap/sort_keys.hpp"
#include "search_fixture.hpp"

namespace pochta::imap::test {

inline std::vector<KeyedMessage> keyed(const Mailbox& box) {
    std::vector<KeyedMessage> out;
    for (const SearchMessage& m : box.messages) {
        std::optional<SortKeys> keys = decode_sort_keys(make_stored_sort_keys(m.raw(), mime::serialize(m.structure())));
        REQUIRE(keys);
        out.push_back(KeyedMessage{m.seq, m.uid, m.internal_date, m.size, std::move(*keys)});
    }
    return out;
}

}  // namespace pochta::imap::test
