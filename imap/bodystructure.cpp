#include "imap/bodystructure.hpp"

#include "imap/envelope.hpp"
#include "imap/imap_string.hpp"

namespace pochta::imap {

namespace {

using mime::Part;
using mime::PartKind;

// A multipart must hold at least one body (RFC 3501 body-type-mpart); one
// with no parts found is shown holding an empty text part.
const char* const empty_body = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
const char* const empty_bodystructure =
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

void append_params(std::string& out, const std::vector<mime::Param>& params) {
    if (params.empty()) {
        out += "NIL";
        return;
    }
    out.push_back('(');
    bool first = true;
    for (const auto& p : params) {
        if (!first) out.push_back(' ');
        first = false;
        append_string(out, p.name);
        out.push_back(' ');
        append_string(out, p.value);
    }
    out.push_back(')');
}

void append_content_params(std::string& out, const Part& part) {
    // Text without parameters is us-ascii (RFC 2045 5.2); say so explicitly.
    if (part.params.empty() && part.is_text()) {
        out += "(\"charset\" \"us-ascii\")";
        return;
    }
    append_params(out, part.params);
}

// body-fld-dsp SP body-fld-lang SP body-fld-loc
void append_disposition_language_location(std::string& out, const Part& part) {
    if (part.disposition) {
        out.push_back('(');
        append_string(out, part.disposition->type);
        out.push_back(' ');
        append_params(out, part.disposition->params);
        out.push_back(')');
    } else {
        out += "NIL";
    }
    out.push_back(' ');
    if (part.languages.empty()) {
        out += "NIL";
    } else {
        out.push_back('(');
        for (size_t i = 0; i < part.languages.size(); ++i) {
            if (i) out.push_back(' ');
            append_string(out, part.languages[i]);
        }
        out.push_back(')');
    }
    out.push_back(' ');
    append_nstring(out, part.location);
}

void append_part(std::string& out, const Part& part, bool extensible);

void append_multipart(std::string& out, const Part& part, bool extensible) {
    out.push_back('(');
    if (part.children.empty()) out += extensible ? empty_bodystructure : empty_body;
    for (const auto& child : part.children) append_part(out, child, extensible);
    out.push_back(' ');
    append_string(out, part.subtype);
    if (extensible) {
        out.push_back(' ');
        append_params(out, part.params);
        out.push_back(' ');
        append_disposition_language_location(out, part);
    }
    out.push_back(')');
}

void append_single(std::string& out, const Part& part, bool extensible) {
    bool message = part.kind == PartKind::message && part.children.size() == 1;
    out.push_back('(');
    append_string(out, part.type);
    out.push_back(' ');
    append_string(out, part.subtype);
    out.push_back(' ');
    append_content_params(out, part);
    out.push_back(' ');
    append_nstring(out, part.id);
    out.push_back(' ');
    append_nstring(out, part.description);
    out.push_back(' ');
    append_string(out, part.encoding);
    out += ' ' + std::to_string(part.body_size());
    if (message) {
        const Part& inner = part.children[0];
        out.push_back(' ');
        out += render_envelope(inner);
        out.push_back(' ');
        append_part(out, inner, extensible);
        out += ' ' + std::to_string(part.body_lines);
    } else if (part.is_text()) {
        out += ' ' + std::to_string(part.body_lines);
    }
    if (extensible) {
        out.push_back(' ');
        append_nstring(out, part.md5);
        out.push_back(' ');
        append_disposition_language_location(out, part);
    }
    out.push_back(')');
}

void append_part(std::string& out, const Part& part, bool extensible) {
    if (part.kind == PartKind::multipart) {
        append_multipart(out, part, extensible);
    } else {
        append_single(out, part, extensible);
    }
}

}  // namespace

std::string render_bodystructure(const Part& part, bool extensible) {
    std::string out;
    append_part(out, part, extensible);
    return out;
}

}  // namespace pochta::imap
