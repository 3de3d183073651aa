// Who may post to a list (README.md, "Mailing lists", posting policies).
#pragma once

#include <cstdint>

#include "lists/list_settings.hpp"

namespace pochta::lists {

enum class PostDecision { distribute, hold, reject };

// `roles`: the author's store::ListRole bits in the list (0: a stranger).
PostDecision decide_post(const ListSettings& settings, uint32_t roles);

}  // namespace pochta::lists
