// A compile error in a Sieve script: where it is and what is wrong.
#pragma once

#include <string>

namespace pochta::sieve {

struct Position {
    int line = 1;    // 1-based
    int column = 1;  // 1-based, in bytes
};

struct Error {
    Position position;
    std::string message;
};

}  // namespace pochta::sieve
