// Lists of domains and addresses kept short and without repeats.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace pochta::spam {

// Appends `value` unless it is empty or already in `list`.
inline void add_distinct(std::vector<std::string>& list, std::string value) {
    if (value.empty() || std::find(list.begin(), list.end(), value) != list.end()) return;
    list.push_back(std::move(value));
}

}  // namespace pochta::spam
