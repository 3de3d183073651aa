#include "imap/base_subject.hpp"

#include "common/mime/encoded_word.hpp"
#include "common/util/strings.hpp"

namespace pochta::imap {

namespace {

// Step 1: encoded words decoded, tabs and line breaks made spaces, runs of
// spaces made one.
std::string normalize(std::string_view subject) {
    std::string decoded = mime::decode_encoded_words(subject);
    std::string out;
    out.reserve(decoded.size());
    for (char c : decoded) {
        if (c == '\t' || c == '\r' || c == '\n') c = ' ';
        if (c == ' ' && !out.empty() && out.back() == ' ') continue;
        out += c;
    }
    return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) { return istarts_with(s, prefix); }

// subj-blob = "[" *BLOBCHAR "]" *WSP; its length at the start of s, 0 if none.
size_t blob_length(std::string_view s) {
    if (s.empty() || s[0] != '[') return 0;
    size_t close = s.find_first_of("[]", 1);
    if (close == std::string_view::npos || s[close] != ']') return 0;
    size_t i = close + 1;
    while (i < s.size() && s[i] == ' ') ++i;
    return i;
}

// subj-leader = (*subj-blob subj-refwd) / WSP, with
// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"; 0 if none.
size_t leader_length(std::string_view s) {
    if (!s.empty() && s[0] == ' ') return 1;
    size_t i = 0;
    while (size_t blob = blob_length(s.substr(i))) i += blob;
    std::string_view rest = s.substr(i);
    if (starts_with_ci(rest, "re")) i += 2;
    else if (starts_with_ci(rest, "fwd")) i += 3;
    else if (starts_with_ci(rest, "fw")) i += 2;
    else return 0;
    while (i < s.size() && s[i] == ' ') ++i;
    i += blob_length(s.substr(i));
    return i < s.size() && s[i] == ':' ? i + 1 : 0;
}

// Step 2: subj-trailer = "(fwd)" / WSP, removed from the end until none is left.
void remove_trailers(std::string_view& s, bool& reply) {
    for (;;) {
        if (!s.empty() && s.back() == ' ') {
            s.remove_suffix(1);
        } else if (s.size() >= 5 && iequals(s.substr(s.size() - 5), "(fwd)")) {
            s.remove_suffix(5);
            reply = true;
        } else {
            return;
        }
    }
}

// Steps 3 to 5: leaders, then leading blobs while something is left after
// them. Every step only removes a prefix, so a view is narrowed instead of
// erasing from a string: linear even for "Re: Re: Re: ..." times thousands.
void remove_leaders(std::string_view& s, bool& reply) {
    for (bool found = true; found;) {
        found = false;
        while (size_t n = leader_length(s)) {
            if (s[0] != ' ') reply = true;
            s.remove_prefix(n);
            found = true;
        }
        // Removing one blob cannot make a leader appear (what follows the
        // run of blobs is not a subj-refwd), so the whole run goes at once,
        // except its last blob when nothing follows it.
        size_t run = 0, last = 0;
        while (size_t blob = blob_length(s.substr(run))) {
            last = run;
            run += blob;
        }
        size_t cut = run < s.size() ? run : last;
        if (cut > 0) {
            s.remove_prefix(cut);
            found = true;
        }
    }
}

}  // namespace

BaseSubject base_subject(std::string_view subject) {
    BaseSubject result;
    std::string normalized = normalize(subject);
    std::string_view s(normalized);
    for (;;) {
        remove_trailers(s, result.reply_or_forward);
        remove_leaders(s, result.reply_or_forward);
        // Step 6: "[fwd: subject]" unwrapped, then everything again.
        if (s.size() >= 6 && starts_with_ci(s, "[fwd:") && s.back() == ']') {
            s = s.substr(5, s.size() - 6);
            result.reply_or_forward = true;
            continue;
        }
        break;
    }
    result.text = std::string(s);
    return result;
}

}  // namespace pochta::imap
