// The "base subject" of RFC 5256 section 2.1, for SORT SUBJECT and THREAD:
// the Subject field with reply/forward artifacts ("Re:", "Fwd:", "[list]",
// "(fwd)", "[fwd: ...]") removed.
#pragma once

#include <string>
#include <string_view>

namespace pochta::imap {

struct BaseSubject {
    std::string text;  // UTF-8, single spaces, no leading or trailing space
    // The extraction removed a subj-refwd, a "(fwd)" trailer or a
    // "[fwd:" ... "]" pair: THREAD=REFERENCES treats the message as a reply.
    bool reply_or_forward = false;
};

// `subject` is the raw (unfolded) field value; encoded words are decoded here (step 1).
BaseSubject base_subject(std::string_view subject);

}  // namespace pochta::imap
