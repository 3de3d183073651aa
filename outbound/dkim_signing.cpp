#include "outbound/dkim_signing.hpp"

#include <algorithm>
#include <thread>

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

// Entered from on_fetched with the entries of one fetch: they are in
// flight (so a fetch meanwhile skips them) while workers hash and sign
// them, then each is dispatched. Every worker task costs two thread
// hand-offs, so a task signs a few entries; the fetch is still spread over
// as many tasks as there are cores.
void QueueRunner::sign_and_dispatch(std::vector<std::shared_ptr<Entry>> entries) {
    if (!options_.dkim_signer) {
        for (auto& entry : entries) dispatch(std::move(entry));
        return;
    }
    constexpr size_t max_per_task = 8;
    // Asked once: glibc reads /sys for it on every call.
    static const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
    const size_t per_task = std::clamp<size_t>((entries.size() + cores - 1) / cores, 1, max_per_task);
    for (size_t first = 0; first < entries.size(); first += per_task) {
        auto group = std::make_shared<std::vector<std::shared_ptr<Entry>>>(
            entries.begin() + first, entries.begin() + std::min(entries.size(), first + per_task));
        sign_group(std::move(group));
    }
}

void QueueRunner::sign_group(std::shared_ptr<std::vector<std::shared_ptr<Entry>>> group) {
    for (const auto& entry : *group) entries_[entry->message.id] = entry;
    auto signed_messages = std::make_shared<std::vector<std::string>>(group->size());
    auto alive = liveness_.watch();
    loop_.offload(
        [signer = options_.dkim_signer, group, signed_messages] {
            for (size_t i = 0; i < group->size(); i++) {
                const Entry& entry = *(*group)[i];
                try {   // one entry's failure leaves the others of its group signed
                    (*signed_messages)[i] =
                        dkim_signed_message(*signer, entry.message.id, *entry.data, entry.message.envelope_from);
                } catch (const std::exception& e) {
                    log::error("queue {}: DKIM signing failed, sent unsigned: {}", entry.message.id, e.what());
                }
            }
        },
        [this, alive, group, signed_messages] {
            if (!alive) return;
            for (size_t i = 0; i < group->size(); i++) {
                auto& entry = (*group)[i];
                std::string& signed_message = (*signed_messages)[i];
                if (!signed_message.empty())
                    entry->data = std::make_shared<const std::string>(std::move(signed_message));
                dispatch(entry);
            }
        });
}

}  // namespace pochta::outbound
