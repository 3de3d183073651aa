#include "imap/parser.hpp"

#include <algorithm>

namespace pochta::imap {

namespace {

constexpr size_t kTailKeep = 64;  // "~{18446744073709551615+}" with room to spare
constexpr size_t kMaxNameLength = 64;  // command names are short words
constexpr size_t kMaxLiteralDigits = 19;     // significant digits of a uint64
constexpr size_t kMaxAnnouncedDigits = 32;   // digits as written, zeros included

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// ATOM-CHAR plus what astrings, LIST patterns, flags and sequence sets add
// (']', '%', '*', '\'), and 8-bit bytes: some clients send UTF-8 mailbox
// names unquoted, and the mailbox layer validates names anyway.
bool atom_char(unsigned char c) {
    return !is_ctl(c) && c != ' ' && c != '(' && c != ')' && c != '{' && c != '"';
}

bool name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength && std::all_of(name.begin(), name.end(), name_char);
}

// The ']' closing a section that starts at line[open] == '[', or npos. Quoted
// strings inside (header field names) are skipped; controls and literals end
// the search, since a section never spans lines.
size_t bracket_end(std::string_view line, size_t open) {
    for (size_t j = open + 1; j < line.size(); ++j) {
        unsigned char c = static_cast<unsigned char>(line[j]);
        if (c == ']') return j;
        if (is_ctl(c) || c == '{') return std::string_view::npos;
        if (c == '"') {
            for (++j; j < line.size() && line[j] != '"'; ++j)
                if (line[j] == '\\') ++j;
            if (j >= line.size()) return std::string_view::npos;
        }
    }
    return std::string_view::npos;
}

}  // namespace

bool valid_tag(std::string_view tag) {
    if (tag.empty()) return false;
    for (unsigned char c : tag) {
        if (c <= 0x20 || c >= 0x7f) return false;
        if (c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' || c == '\\' || c == '+')
            return false;
    }
    return true;
}

CommandParser::CommandParser(ParserLimits limits) : limits_(limits) { start_command(); }

void CommandParser::start_command() {
    state_ = State::line;
    line_.clear();
    skip_tail_.clear();
    line_total_ = 0;
    literal_left_ = 0;
    literal_total_ = 0;
    first_line_ = true;
    after_token_ = false;
    token_count_ = 0;
    stack_.clear();
    stack_.emplace_back();
    command_ = Command{};
}

void CommandParser::reset() { start_command(); }

bool CommandParser::idle() const { return state_ == State::line && first_line_ && line_.empty(); }

ParseResult CommandParser::feed(std::string_view input, size_t& consumed) {
    consumed = 0;
    ParseResult result;
    for (;;) {
        size_t available = input.size() - consumed;
        switch (state_) {
            case State::closed:
                consumed = input.size();
                return result;
            case State::closing:
                result.status = ParseResult::Status::error;
                result.error = {ParseErrorKind::literal_too_big, command_.tag, "literal too big", true};
                state_ = State::closed;
                return result;
            case State::literal:
            case State::skip_literal: {
                if (literal_left_ == 0) {
                    if (state_ == State::literal) {
                        state_ = State::line;
                        after_token_ = true;  // "{3}\r\nabcX" needs a space before X
                    } else {
                        state_ = State::skip_line;
                        skip_tail_.clear();
                    }
                    continue;
                }
                if (available == 0) return result;
                size_t take = static_cast<size_t>(std::min<uint64_t>(literal_left_, available));
                if (state_ == State::literal) take_literal(input.substr(consumed, take));
                consumed += take;
                literal_left_ -= take;
                continue;
            }
            case State::line:
                if (available == 0) return result;
                if (step_line(input, consumed, result)) return result;
                continue;
            case State::skip_line:
                if (available == 0) return result;
                if (step_skip_line(input, consumed, result)) return result;
                continue;
        }
    }
}

bool CommandParser::step_line(std::string_view input, size_t& consumed, ParseResult& result) {
    size_t lf = input.find('\n', consumed);
    size_t end = lf == std::string_view::npos ? input.size() : lf;
    std::string_view chunk = input.substr(consumed, end - consumed);
    consumed = lf == std::string_view::npos ? input.size() : lf + 1;
    // +1: the CR before LF does not count against the limit.
    if (line_.size() + chunk.size() > limits_.max_line + 1) {
        // The literal check at the end needs the line's last bytes, however
        // they were split between earlier feeds and this one.
        std::string tail = line_.substr(line_.size() > kTailKeep ? line_.size() - kTailKeep : 0);
        tail.append(chunk.substr(chunk.size() > kTailKeep ? chunk.size() - kTailKeep : 0));
        // Fill line_ up to the limit, as byte-by-byte feeding would, so the
        // tag found in it does not depend on how the input was split.
        line_.append(chunk.substr(0, limits_.max_line + 1 - line_.size()));
        return fail(result, ParseErrorKind::line_too_long, "command line too long", lf != std::string_view::npos,
                    tail);
    }
    line_.append(chunk);
    if (lf == std::string_view::npos) return false;
    return finish_line(result);
}

bool CommandParser::step_skip_line(std::string_view input, size_t& consumed, ParseResult& result) {
    size_t lf = input.find('\n', consumed);
    size_t end = lf == std::string_view::npos ? input.size() : lf;
    skip_tail_.append(input.substr(consumed, end - consumed));
    if (skip_tail_.size() > 2 * kTailKeep) skip_tail_.erase(0, skip_tail_.size() - kTailKeep);
    consumed = lf == std::string_view::npos ? input.size() : lf + 1;
    if (lf == std::string_view::npos) return false;
    std::string tail = std::move(skip_tail_);
    skip_tail_.clear();
    if (!tail.empty() && tail.back() == '\r') tail.pop_back();
    if (skip_announced(tail) != Skip::too_big) return false;
    result.status = ParseResult::Status::error;
    result.error = {ParseErrorKind::literal_too_big, command_.tag, "literal too big", true};
    state_ = State::closed;
    return true;
}

// Decides how the rest of a failed command is skipped, given the end of the
// line just read: a {n+} literal there is already on its way.
CommandParser::Skip CommandParser::skip_announced(std::string_view line) {
    LiteralHeader literal = trailing_literal(line);
    if (!literal.present || literal.sync) {
        start_command();
        return Skip::done;
    }
    if (literal.overflow || literal.size > limits_.max_literal) return Skip::too_big;
    state_ = State::skip_literal;
    literal_left_ = literal.size;
    return Skip::literal;
}

bool CommandParser::fail(ParseResult& result, ParseErrorKind kind, std::string reason, bool at_eol,
                         std::string_view tail) {
    std::string tag = command_.tag;
    if (tag.empty() && first_line_ && kind != ParseErrorKind::bad_tag) {
        std::string_view head(line_);
        head = head.substr(0, head.find(' '));
        if (head.size() < line_.size() && valid_tag(head)) tag = head;
    }
    result.status = ParseResult::Status::error;
    result.error = {kind, tag, std::move(reason), false};
    std::string keep(tail.substr(tail.size() > kTailKeep ? tail.size() - kTailKeep : 0));
    if (!keep.empty() && keep.back() == '\r') keep.pop_back();
    command_.tag = tag;  // for a later "literal too big" while skipping
    stack_.clear();      // a skipped command's tokens are dead weight
    stack_.emplace_back();
    line_.clear();  // after `keep`: tail may point into it
    if (!at_eol) {
        state_ = State::skip_line;
        skip_tail_ = std::move(keep);
        return true;
    }
    // Reported by the next feed(), exactly as when the line's end arrives
    // in a later feed while skipping: the outcome never depends on splits.
    if (skip_announced(keep) == Skip::too_big) state_ = State::closing;
    return true;
}

bool CommandParser::finish_line(ParseResult& result) {
    std::string_view line(line_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first_line_ && line.empty()) return fail(result, ParseErrorKind::syntax, "empty command line", true, line);
    line_total_ += line.size();
    if (line_total_ > limits_.max_line)
        return fail(result, ParseErrorKind::line_too_long, "command line too long", true, line);
    LiteralHeader literal;
    if (!tokenize(line, literal)) return fail(result, error_kind_, error_reason_, true, line);
    first_line_ = false;
    line_.clear();
    if (!literal.present) return complete_command(result);

    if (literal.overflow || literal.size > limits_.max_literal ||
        literal.size > limits_.max_literal_total - literal_total_) {
        result.status = ParseResult::Status::error;
        result.error = {ParseErrorKind::literal_too_big, command_.tag, "literal too big", !literal.sync};
        if (literal.sync) start_command();
        else state_ = State::closed;
        return true;
    }
    Token token;
    token.type = Token::Type::literal;
    token.binary = literal.binary;
    token.size = literal.size;
    if (sink_factory_) token.sink = sink_factory_({command_.name, literal.size, literal.binary, literal.sync});
    if (!add_token(std::move(token))) return fail(result, error_kind_, error_reason_, true, line);
    literal_total_ += literal.size;
    literal_left_ = literal.size;
    state_ = State::literal;
    if (!literal.sync) return false;
    result.continuation = true;
    result.literal_size = literal.size;
    return true;
}

// The literal being read is the last token of the innermost list.
void CommandParser::take_literal(std::string_view bytes) {
    Token& token = stack_.back().back();
    if (bytes.find('\0') != std::string_view::npos) token.nul = true;
    if (token.sink)
        token.sink->write(bytes);
    else
        token.text.append(bytes);
}

bool CommandParser::complete_command(ParseResult& result) {
    if (stack_.size() > 1) return fail(result, ParseErrorKind::syntax, "unclosed parenthesis", true, {});
    std::vector<Token>& args = stack_.front();
    if (command_.name == "UID") {
        if (args.empty() || !args.front().is_atom() || !valid_name(args.front().text))
            return fail(result, ParseErrorKind::syntax, "UID needs a command", true, {});
        command_.name = upper(args.front().text);
        command_.uid = true;
        args.erase(args.begin());
    }
    result.status = ParseResult::Status::command;
    result.command = std::move(command_);
    result.command.args = std::move(args);
    start_command();
    return true;
}

CommandParser::LiteralHeader CommandParser::trailing_literal(std::string_view line) {
    LiteralHeader literal;
    if (line.empty() || line.back() != '}') return literal;
    line.remove_suffix(1);
    if (!line.empty() && line.back() == '+') {
        literal.sync = false;
        line.remove_suffix(1);
    }
    size_t digits = 0;
    while (digits < line.size() && line[line.size() - 1 - digits] >= '0' && line[line.size() - 1 - digits] <= '9')
        ++digits;
    if (digits == 0) return literal;
    if (digits == line.size()) {
        // Only the end of a skipped line is kept: digits up to its start
        // may be a huge literal whose '{' was cut off. Assume the worst.
        literal.present = true;
        literal.overflow = true;
        return literal;
    }
    if (line[line.size() - 1 - digits] != '{') return literal;
    std::string_view number = line.substr(line.size() - digits);
    while (number.size() > 1 && number.front() == '0') number.remove_prefix(1);
    literal.present = true;
    literal.binary = line.size() > digits + 1 && line[line.size() - digits - 2] == '~';
    // A long run of leading zeros is refused too: a skipped line keeps only
    // kTailKeep bytes, and the answer must not depend on how much was kept.
    if (number.size() > kMaxLiteralDigits || digits > kMaxAnnouncedDigits) {
        literal.overflow = true;
        return literal;
    }
    for (char c : number) literal.size = literal.size * 10 + static_cast<uint64_t>(c - '0');
    return literal;
}

void CommandParser::set_error(ParseErrorKind kind, std::string reason) {
    error_kind_ = kind;
    error_reason_ = std::move(reason);
}

bool CommandParser::add_token(Token token) {
    if (++token_count_ > limits_.max_tokens) {
        set_error(ParseErrorKind::too_many_tokens, "too many arguments");
        return false;
    }
    stack_.back().push_back(std::move(token));
    return true;
}

bool CommandParser::tokenize(std::string_view line, LiteralHeader& literal) {
    size_t i = 0;
    if (first_line_ && !read_tag_and_name(line, i)) return false;
    while (i < line.size()) {
        char c = line[i];
        if (c == ' ') {
            after_token_ = false;
            ++i;
            continue;
        }
        if (c == ')') {
            if (stack_.size() <= 1) {
                set_error(ParseErrorKind::syntax, "unexpected ')'");
                return false;
            }
            Token list;
            list.type = Token::Type::list;
            list.children = std::move(stack_.back());
            stack_.pop_back();
            stack_.back().push_back(std::move(list));
            after_token_ = true;
            ++i;
            continue;
        }
        if (after_token_) {
            set_error(ParseErrorKind::syntax, "missing space between arguments");
            return false;
        }
        if (c == '(') {
            if (stack_.size() > limits_.max_depth) {
                set_error(ParseErrorKind::too_deep, "parentheses nested too deeply");
                return false;
            }
            // Counted now, pushed when closed.
            if (++token_count_ > limits_.max_tokens) {
                set_error(ParseErrorKind::too_many_tokens, "too many arguments");
                return false;
            }
            stack_.emplace_back();
            ++i;
            continue;
        }
        bool ok;
        if (c == '"') ok = read_quoted(line, i);
        else if (c == '{' || (c == '~' && i + 1 < line.size() && line[i + 1] == '{'))
            return read_literal_header(line, i, literal);
        else ok = read_atom(line, i);
        if (!ok) return false;
        after_token_ = true;
    }
    return true;
}

bool CommandParser::read_tag_and_name(std::string_view line, size_t& i) {
    size_t sp = line.find(' ');
    std::string_view tag = line.substr(0, sp);
    if (!valid_tag(tag)) {
        set_error(ParseErrorKind::bad_tag, tag.empty() ? "missing tag" : "invalid tag");
        return false;
    }
    command_.tag = tag;
    if (sp == std::string_view::npos) {
        set_error(ParseErrorKind::syntax, "missing command name");
        return false;
    }
    size_t end = line.find(' ', sp + 1);
    if (end == std::string_view::npos) end = line.size();
    std::string_view name = line.substr(sp + 1, end - sp - 1);
    if (!valid_name(name)) {
        set_error(ParseErrorKind::syntax, name.empty() ? "missing command name" : "invalid command name");
        return false;
    }
    command_.name = upper(name);
    i = end;
    after_token_ = true;
    return true;
}

bool CommandParser::read_quoted(std::string_view line, size_t& i) {
    Token token;
    token.type = Token::Type::quoted;
    for (++i; i < line.size(); ++i) {
        char c = line[i];
        if (c == '"') {
            ++i;
            return add_token(std::move(token));
        }
        if (c == '\\') {
            if (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != '"')) {
                set_error(ParseErrorKind::syntax, "invalid escape in quoted string");
                return false;
            }
            c = line[++i];
        } else if (c == '\0' || c == '\r') {
            set_error(ParseErrorKind::syntax, "invalid character in quoted string");
            return false;
        }
        token.text += c;
    }
    set_error(ParseErrorKind::syntax, "unterminated quoted string");
    return false;
}

bool CommandParser::read_literal_header(std::string_view line, size_t& i, LiteralHeader& literal) {
    size_t j = i;
    if (line[j] == '~') ++j;
    size_t digits = ++j;  // past '{'
    while (j < line.size() && line[j] >= '0' && line[j] <= '9') ++j;
    bool has_digits = j > digits;
    if (j < line.size() && line[j] == '+') ++j;
    // The announcement must end the line: the literal's bytes follow the CRLF.
    if (!has_digits || j + 1 != line.size() || line[j] != '}') {
        set_error(ParseErrorKind::syntax, "invalid literal");
        return false;
    }
    literal = trailing_literal(line.substr(i));
    i = line.size();
    return true;
}

bool CommandParser::read_atom(std::string_view line, size_t& i) {
    size_t start = i;
    while (i < line.size()) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        // A section only follows a name (BODY[...]); a leading '[' is a
        // mailbox name like "[Gmail]/Sent".
        if (c == '[' && i > start) {
            size_t close = bracket_end(line, i);
            if (close != std::string_view::npos) {
                i = close + 1;
                continue;
            }
        }
        if (!atom_char(c)) break;
        ++i;
    }
    if (i < line.size() && is_ctl(static_cast<unsigned char>(line[i]))) {
        set_error(ParseErrorKind::syntax, line[i] == '\0' ? "NUL byte in command" : "control character in command");
        return false;
    }
    if (i == start) {
        set_error(ParseErrorKind::syntax, "unexpected character");
        return false;
    }
    Token token;
    token.text = line.substr(start, i - start);
    if (token.text.size() == 3 && upper(token.text) == "NIL") token.type = Token::Type::nil;
    return add_token(std::move(token));
}

}  // namespace pochta::imap
