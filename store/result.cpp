#include "store/result.hpp"

#include <cerrno>

namespace pochta::store {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::none: return "none";
        case ErrorKind::invalid: return "invalid";
        case ErrorKind::nonexistent: return "nonexistent";
        case ErrorKind::already_exists: return "already_exists";
        case ErrorKind::refused: return "refused";
        case ErrorKind::has_children: return "has_children";
        case ErrorKind::limit: return "limit";
        case ErrorKind::over_quota: return "over_quota";
        case ErrorKind::unavailable: return "unavailable";
        case ErrorKind::disk_full: return "disk_full";
        case ErrorKind::temporary: return "temporary";
        case ErrorKind::internal: return "internal";
    }
    return "internal";
}

ErrorKind kind_of_errno(int error_number) {
    switch (error_number) {
        case ENOSPC:
        case EDQUOT: return ErrorKind::disk_full;
        case EAGAIN:
        case EINTR: return ErrorKind::temporary;
        default: return ErrorKind::internal;
    }
}

Error error_of(const std::exception_ptr& error) {
    if (!error) return {};
    try {
        std::rethrow_exception(error);
    } catch (...) {
        return current_error();
    }
}

Error current_error() {
    try {
        throw;
    } catch (const StoreError& e) {
        return e.error();
    } catch (const std::exception& e) {
        return {ErrorKind::internal, *e.what() ? e.what() : "store error"};
    } catch (...) {
        return {ErrorKind::internal, "unknown store error"};
    }
}

}  // namespace pochta::store
