// AsyncStore reports errors as text; mailbox commands need to know which
// refusal it was ([NONEXISTENT], [ALREADYEXISTS], ...), so their work runs
// inside guarded(), which keeps the kind of the store's exception.
#pragma once

#include <string>

#include "store/store.hpp"

namespace pochta::imap {

struct Outcome {
    enum class Kind { ok, not_found, exists, refused, invalid, failed };
    Kind kind = Kind::ok;
    std::string message;
    bool ok() const { return kind == Kind::ok; }
};

template <typename F>
Outcome guarded(F&& f) {
    try {
        f();
        return {};
    } catch (const store::MailboxNotFound& e) {
        return {Outcome::Kind::not_found, e.what()};
    } catch (const store::MailboxExists& e) {
        return {Outcome::Kind::exists, e.what()};
    } catch (const store::MailboxRefused& e) {
        return {Outcome::Kind::refused, e.what()};
    } catch (const store::StoreError& e) {
        return {Outcome::Kind::invalid, e.what()};
    } catch (const std::exception& e) {
        return {Outcome::Kind::failed, e.what()};
    }
}

}  // namespace pochta::imap
