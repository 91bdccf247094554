#pragma once
// The IMAP parser's pieces shared by its translation units (imap_parser.cpp,
// imap_parser_data.cpp, imap_parser_text.cpp): the cursor over one response
// and the untagged data parsers. Not part of the parser's interface.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/ascii.h"
#include "proto/imap_parser.h"

namespace mailporter::imap::detail {

inline constexpr std::size_t DetailMax = 120;  // bytes of the offending text quoted in an error

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strict unsigned decimal: digits only, at least one, no sign, no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max);

Error malformed(std::string_view what, std::string_view text);

// RFC 3501 §9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
// quoted-specials / resp-specials.
bool is_atom_char(char c);

// The size in "{n}" or "{n+}" (the '+' is LITERAL+ syntax a server should not
// use, tolerated). nullopt when malformed.
std::optional<std::uint64_t> announcement_size(std::string_view brace);

// A cursor over one whole response. Errors carry the whole response text.
class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}

    bool eof() const { return p_ >= s_.size(); }
    char peek() const { return eof() ? '\0' : s_[p_]; }
    std::size_t pos() const { return p_; }
    std::string_view rest() const { return s_.substr(std::min(p_, s_.size())); }
    void advance(std::size_t n = 1) { p_ = std::min(p_ + n, s_.size()); }
    bool accept(char c) {
        if (peek() != c || eof()) return false;
        ++p_;
        return true;
    }
    Error error(std::string_view what) const { return malformed(what, s_); }

    // One SP; servers sending several are tolerated.
    Result<void> space() {
        if (!accept(' ')) return error("expected a space");
        while (accept(' ')) {
        }
        return {};
    }
    void skip_spaces() {
        while (accept(' ')) {
        }
    }

    // An atom, lenient as servers are: any run of bytes that are not SP, CTL,
    // '(', ')', '"', '{' (at the start) or ']'. With brackets, a "[...]"
    // group (which may hold spaces and parentheses) is part of the atom, as
    // in BODY[HEADER.FIELDS (MESSAGE-ID)]<0>.
    std::string_view atom(bool brackets = false) {
        const std::size_t start = p_;
        while (!eof()) {
            const char c = s_[p_];
            const auto u = static_cast<unsigned char>(c);
            if (brackets && c == '[') {
                std::size_t depth = 0;
                std::size_t q = p_;
                for (; q < s_.size(); ++q) {
                    if (s_[q] == '[') ++depth;
                    if (s_[q] == ']' && --depth == 0) break;
                    if (s_[q] == '\r' || s_[q] == '\n') break;
                }
                if (q >= s_.size() || s_[q] != ']') break;  // unbalanced: stop, the caller reports it
                p_ = q + 1;
                continue;
            }
            if (u <= 0x20 || u == 0x7F || c == '(' || c == ')' || c == '"' || c == ']') break;
            if (c == '{' && p_ == start) break;
            ++p_;
        }
        return s_.substr(start, p_ - start);
    }

    Result<std::uint64_t> number(std::uint64_t max, std::string_view what) {
        const std::size_t start = p_;
        while (!eof() && is_digit(s_[p_])) ++p_;
        const auto v = parse_decimal(s_.substr(start, p_ - start), max);
        if (!v) return error(what);
        return *v;
    }

    // string = quoted / literal (RFC 3501 §9).
    Result<std::string> string() {
        if (peek() == '"') return quoted();
        if (peek() == '{') return literal();
        return error("expected a string");
    }

    // nstring = string / nil. nullopt for NIL.
    Result<std::optional<std::string>> nstring() {
        if (peek() == '"' || peek() == '{') {
            auto s = string();
            if (!s) return std::move(s).error();
            return std::optional<std::string>(std::move(*s));
        }
        const auto a = atom();
        if (iequals(a, "NIL")) return std::optional<std::string>();
        return error("expected a string or NIL");
    }

    // astring = 1*ASTRING-CHAR / string (ASTRING-CHAR adds ']' to atoms).
    Result<std::string> astring() {
        if (peek() == '"' || peek() == '{') return string();
        const std::size_t start = p_;
        while (!eof() && (is_atom_char(s_[p_]) || s_[p_] == ']' || s_[p_] == '\\' || s_[p_] == '%' || s_[p_] == '*'))
            ++p_;
        if (p_ == start) return error("expected an atom or a string");
        return std::string(s_.substr(start, p_ - start));
    }

    // "(" [atom *(SP atom)] ")" — flag lists and the like.
    Result<std::vector<std::string>> atom_list() {
        if (!accept('(')) return error("expected '('");
        std::vector<std::string> items;
        skip_spaces();
        while (!accept(')')) {
            if (eof()) return error("unterminated list");
            const auto a = atom();
            if (a.empty()) return error("unexpected byte in a list");
            items.emplace_back(a);
            skip_spaces();
        }
        return items;
    }

    // Any value, skipped: used for data items this client does not need
    // (ENVELOPE, BODYSTRUCTURE, extensions).
    Result<void> skip_value(std::size_t depth) {
        if (depth > MaxDepth) return error("lists nested too deeply");
        if (accept('(')) {
            skip_spaces();
            while (!accept(')')) {
                if (eof()) return error("unterminated list");
                if (auto r = skip_value(depth + 1); !r) return r;
                skip_spaces();
            }
            return {};
        }
        if (peek() == '"' || peek() == '{') {
            auto s = string();
            if (!s) return std::move(s).error();
            return {};
        }
        if (atom(true).empty()) return error("unexpected byte");
        return {};
    }

private:
    Result<std::string> quoted() {
        ++p_;  // the opening quote
        std::string out;
        while (!eof()) {
            const char c = s_[p_++];
            if (c == '"') return out;
            if (c == '\r' || c == '\n') break;
            // RFC 3501 §9: quoted-specials are escaped with "\"; any other
            // escaped byte is taken literally rather than refused.
            if (c == '\\') {
                if (eof()) break;
                out += s_[p_++];
                continue;
            }
            out += c;
        }
        return error("unterminated quoted string");
    }

    Result<std::string> literal() {
        const auto close = s_.find('}', p_);
        if (close == std::string_view::npos) return error("bad literal announcement");
        const auto size = announcement_size(s_.substr(p_, close - p_ + 1));
        if (!size) return error("bad literal size");
        p_ = close + 1;
        if (!accept('\r')) {
        }
        if (!accept('\n')) return error("literal announcement not at the end of a line");
        if (*size > s_.size() - p_) return error("literal longer than the response");
        std::string out(s_.substr(p_, static_cast<std::size_t>(*size)));
        p_ += static_cast<std::size_t>(*size);
        return out;
    }

    std::string_view s_;
    std::size_t p_ = 0;
};

// Untagged data, each after its keyword and space (imap_parser_data.cpp).
Result<void> parse_fetch(Cursor& c, Response& r);
Result<void> parse_list(Cursor& c, Response& r);
Result<void> parse_namespace(Cursor& c, Response& r);
Result<void> parse_status(Cursor& c, Response& r);

}  // namespace mailporter::imap::detail
