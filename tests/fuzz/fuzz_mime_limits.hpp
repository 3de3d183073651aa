// MIME parser limits for the fuzz targets: the defaults, or (odd first
// input byte) small ones, so inputs of a few hundred bytes reach the
// "limit hit" paths too.
#pragma once

#include <cstdint>

#include "common/mime/structure.hpp"

namespace pochta::fuzz {

inline mime::Limits mime_limits(uint8_t first_byte) {
    mime::Limits limits;
    if (first_byte & 1) {
        limits.max_depth = 4;
        limits.max_parts = 8;
        limits.max_header_bytes = 200;
        limits.max_field_bytes = 50;
        limits.max_params = 3;
    }
    return limits;
}

}  // namespace pochta::fuzz
