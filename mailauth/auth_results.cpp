#include "mailauth/auth_results.hpp"

#include <fmt/format.h>

#include "common/mime/header.hpp"
#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

constexpr size_t max_comment = 200;
constexpr int max_comment_depth = 8;
constexpr size_t max_claims = 100;

// RFC 2045 token characters: printable ASCII without tspecials and space.
bool is_token_char(char c) {
    if (c <= ' ' || c >= 0x7f) return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}

// Printable ASCII (and UTF-8) only: no control character reaches the field.
std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
    return out;
}

std::string quoted_value(std::string_view value) {
    if (is_token(value)) return std::string(value);
    std::string out = "\"";
    for (char c : printable(value)) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "\"";
}

std::string comment_text(std::string_view text) {
    std::string out;
    for (char c : printable(text.substr(0, max_comment))) {
        if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::string format_result(const AuthResult& r) {
    std::string out = r.method + "=" + r.result;
    if (!r.comment.empty()) out += " (" + comment_text(r.comment) + ")";
    for (const auto& [name, value] : r.properties) out += " " + name + "=" + quoted_value(value);
    return out;
}

// A cursor over an unfolded value with RFC 5322 CFWS and RFC 2045 tokens.
class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    bool at_end() { skip_cfws(); return pos_ >= text_.size(); }
    bool failed() const { return failed_; }

    // Skips spaces and comments; keeps the first comment's text when asked.
    void skip_cfws(std::string* first_comment = nullptr) {
        while (pos_ < text_.size() && !failed_) {
            char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                pos_++;
            } else if (c == '(') {
                std::string comment = read_comment();
                if (first_comment && first_comment->empty()) *first_comment = comment.substr(0, max_comment);
            } else {
                return;
            }
        }
    }

    bool take(char c) {
        skip_cfws();
        if (pos_ < text_.size() && text_[pos_] == c) {
            pos_++;
            return true;
        }
        return false;
    }

    // A token ("spf", "header.d": '.' is a token character); "" when none.
    std::string token() {
        skip_cfws();
        size_t start = pos_;
        while (pos_ < text_.size() && is_token_char(text_[pos_])) pos_++;
        return std::string(text_.substr(start, pos_ - start));
    }

    // RFC 2045 value: token or quoted-string; RFC 8601 also allows
    // "local@domain" for properties, which a token cannot hold ('@').
    std::optional<std::string> value() {
        skip_cfws();
        if (pos_ < text_.size() && text_[pos_] == '"') return quoted();
        size_t start = pos_;
        while (pos_ < text_.size() && (is_token_char(text_[pos_]) || text_[pos_] == '@' || text_[pos_] == '/' ||
                                       text_[pos_] == '='))
            pos_++;
        if (start == pos_) return std::nullopt;
        return std::string(text_.substr(start, pos_ - start));
    }

private:
    std::optional<std::string> quoted() {
        std::string out;
        pos_++;  // the opening quote
        while (pos_ < text_.size()) {
            char c = text_[pos_++];
            if (c == '"') return out;
            if (c == '\\' && pos_ < text_.size()) c = text_[pos_++];
            out.push_back(c);
        }
        failed_ = true;  // unterminated
        return std::nullopt;
    }

    std::string read_comment() {
        std::string out;
        int depth = 0;
        while (pos_ < text_.size()) {
            char c = text_[pos_++];
            if (c == '\\' && pos_ < text_.size()) {
                c = text_[pos_++];
            } else if (c == '(') {
                if (++depth > max_comment_depth) break;
                if (depth == 1) continue;
            } else if (c == ')') {
                if (--depth == 0) return out;
            }
            if (out.size() < max_comment) out.push_back(c);
        }
        failed_ = true;  // unterminated or too deep
        return out;
    }

    std::string_view text_;
    size_t pos_ = 0;
    bool failed_ = false;
};

// "method[/version]=result [comment] *(ptype.property=value)".
std::optional<AuthResult> read_result(Reader& in) {
    AuthResult r;
    r.method = to_lower(in.token());
    if (r.method.empty()) return std::nullopt;
    if (in.take('/') && in.token().empty()) return std::nullopt;  // method version
    if (!in.take('=')) return std::nullopt;
    r.result = to_lower(in.token());
    if (r.result.empty()) return std::nullopt;
    in.skip_cfws(&r.comment);
    while (!in.failed() && !in.at_end() && !in.take(';')) {
        if (r.properties.size() >= max_auth_results) return std::nullopt;
        std::string name = to_lower(in.token());
        if (name.empty() || name.find('.') == std::string::npos) {
            if (iequals(name, "reason") && in.take('=') && in.value()) continue;  // reason="..." (RFC 8601 2.2)
            return std::nullopt;
        }
        if (!in.take('=')) return std::nullopt;
        auto value = in.value();
        if (!value) return std::nullopt;
        r.properties.emplace_back(std::move(name), std::move(*value));
        in.skip_cfws();
    }
    if (in.failed()) return std::nullopt;
    return r;
}

}  // namespace

std::string format_auth_results(std::string_view authserv_id, const std::vector<AuthResult>& results) {
    std::string out = "Authentication-Results: " + quoted_value(authserv_id) + ";";
    if (results.empty()) return out + " none\r\n";
    for (size_t i = 0; i < results.size(); i++)
        out += "\r\n\t" + format_result(results[i]) + (i + 1 < results.size() ? ";" : "");
    return out + "\r\n";
}

std::optional<ParsedAuthResults> parse_auth_results(std::string_view value) {
    if (value.size() > max_auth_results_value) return std::nullopt;
    Reader in(value);
    ParsedAuthResults out;
    auto id = in.value();
    if (!id || id->empty() || in.failed()) return std::nullopt;
    out.authserv_id = std::move(*id);
    in.skip_cfws();
    in.token();  // an optional version number
    if (!in.take(';')) return out;  // nothing more, or junk: the id is what matters
    // "none" reads as no result: it has no '='.
    while (!in.at_end() && !in.failed()) {
        if (out.results.size() >= max_auth_results) return std::nullopt;
        auto r = read_result(in);
        if (!r) break;
        out.results.push_back(std::move(*r));
    }
    return out;
}

std::vector<size_t> find_claimed_auth_results(std::string_view header, std::string_view authserv_id) {
    std::vector<size_t> offsets;
    mime::for_each_field(header, max_auth_results_value + 1, [&](std::string_view name, std::string value) {
        if (!iequals(name, "Authentication-Results")) return true;
        auto parsed = parse_auth_results(value);
        // A field too long or too broken to read names nobody: it could
        // still look like ours to a reader, so it goes too.
        if (!parsed || iequals(parsed->authserv_id, authserv_id))
            offsets.push_back(static_cast<size_t>(name.data() - header.data()));
        return offsets.size() < max_claims;
    });
    return offsets;
}

}  // namespace pochta::mailauth
