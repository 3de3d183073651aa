#include "sieve/ast.hpp"

#include <algorithm>

namespace pochta::sieve {

const Tagged* Node::tag(std::string_view wanted) const {
    for (const Tagged& t : tagged)
        if (t.name == wanted) return &t;
    return nullptr;
}

bool Script::has_extension(std::string_view extension) const {
    return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

}  // namespace pochta::sieve
