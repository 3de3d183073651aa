#include "outbound/dkim_signing.hpp"

#include "common/util/log.hpp"
#include "outbound/queue_parts.hpp"

namespace pochta::outbound {

namespace {

std::string_view domain_of(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

}  // namespace

std::string dkim_signed_message(mailauth::DkimSigner& signer, std::string_view queue_id, std::string_view message,
                                std::string_view envelope_from) {
    std::string fields = signer.sign(message, domain_of(envelope_from));
    if (fields.empty()) {
        log::info("queue {}: sent without DKIM signature: no key for From domain '{}' or envelope domain '{}'",
                  queue_id, mailauth::from_domain(message), domain_of(envelope_from));
        return "";
    }
    fields.append(message);
    return fields;
}

// Entered from on_fetched: the entry is in flight (so a fetch meanwhile
// skips it) while a worker hashes and signs it; then it is dispatched.
void QueueRunner::sign_and_dispatch(std::shared_ptr<Entry> entry) {
    if (!options_.dkim_signer) return dispatch(std::move(entry));
    entries_[entry->message.id] = entry;
    auto signed_message = std::make_shared<std::string>();
    auto alive = liveness_.watch();
    loop_.offload(
        [signer = options_.dkim_signer, entry, signed_message] {
            *signed_message = dkim_signed_message(*signer, entry->message.id, *entry->data, entry->message.envelope_from);
        },
        [this, alive, entry, signed_message] {
            if (!alive) return;
            if (!signed_message->empty()) entry->data = std::make_shared<const std::string>(std::move(*signed_message));
            dispatch(entry);
        });
}

}  // namespace pochta::outbound
