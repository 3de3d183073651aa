// The one result type at the store boundary. The Store throws StoreError
// (or one of its named subclasses), which carries an ErrorKind; AsyncStore
// hands the protocols a store::Error (empty on success). Protocols decide
// their reply from the kind alone (README.md, "Store errors"), never from
// the message, which is for the log.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace pochta::store {

enum class ErrorKind {
    none,            // success
    invalid,         // a name or argument the store cannot keep
    nonexistent,     // no such mailbox (or message, user)
    already_exists,  // the mailbox exists
    refused,         // not allowed on this mailbox (INBOX, another owner, below itself)
    has_children,    // the mailbox has inferior names
    limit,           // an implementation limit (keywords per message, keyword length)
    over_quota,      // the user's quota would be exceeded (README.md, "IMAP": QUOTA)
    unavailable,     // the message's blob is missing or damaged
    disk_full,       // no space left (ENOSPC, EDQUOT, SQLITE_FULL)
    temporary,       // try again later (the index busy or locked)
    internal,        // anything else: I/O errors, broken invariants
};

std::string_view to_string(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::none;
    std::string message;  // for the log

    bool empty() const { return kind == ErrorKind::none; }
    explicit operator bool() const { return !empty(); }
};

// What the store throws. The kind defaults to internal: a failure nobody
// named is a server-side fault.
class StoreError : public std::runtime_error {
public:
    explicit StoreError(const std::string& message, ErrorKind kind = ErrorKind::internal)
        : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }
    Error error() const { return {kind_, what()}; }

private:
    ErrorKind kind_;
};

// Named refusals, kept as types so callers and tests can catch them alone.
class MailboxNotFound : public StoreError {
public:
    explicit MailboxNotFound(const std::string& message) : StoreError(message, ErrorKind::nonexistent) {}
};
class MailboxExists : public StoreError {
public:
    explicit MailboxExists(const std::string& message) : StoreError(message, ErrorKind::already_exists) {}
};
// The operation is not allowed on this mailbox (e.g. deleting INBOX, or
// with has_children a mailbox that has inferiors).
class MailboxRefused : public StoreError {
public:
    explicit MailboxRefused(const std::string& message, ErrorKind kind = ErrorKind::refused)
        : StoreError(message, kind) {}
};

// The kind for an errno of a failed file operation.
ErrorKind kind_of_errno(int error_number);

// The Error for an exception caught at the boundary: a StoreError keeps its
// kind, anything else is internal. Empty for a null pointer.
Error error_of(const std::exception_ptr& error);
// The same for the exception being handled (call inside a catch block).
Error current_error();

}  // namespace pochta::store

// Logs show the message, as they did when errors were strings.
template <>
struct fmt::formatter<pochta::store::Error> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const pochta::store::Error& e, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(e.message, ctx);
    }
};
