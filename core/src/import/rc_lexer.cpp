#include "import/rc_lexer.h"

namespace mailporter::import {

namespace {

Error at(int line, const std::string& what) {
    return make_error(Errc::ConfigInvalid, "line " + std::to_string(line) + ": " + what, ErrorScope::Local,
                      Retry::Never);
}

bool separates(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == ':' || c == ','; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// rcfile_l.l's escapes(): \b \f \n \r \t, \xHH, \ooo (octal), and any other
// character after a backslash stands for itself (\" \\ \').
std::size_t unescape(std::string_view s, std::size_t i, std::string& out) {
    const char c = s[i];
    switch (c) {
        case 'b':
            out += '\b';
            return i + 1;
        case 'f':
            out += '\f';
            return i + 1;
        case 'n':
            out += '\n';
            return i + 1;
        case 'r':
            out += '\r';
            return i + 1;
        case 't':
            out += '\t';
            return i + 1;
        default:
            break;
    }
    if (c == 'x' && i + 1 < s.size() && hex_value(s[i + 1]) >= 0) {
        int v = hex_value(s[++i]);
        if (i + 1 < s.size() && hex_value(s[i + 1]) >= 0) v = v * 16 + hex_value(s[++i]);
        out += static_cast<char>(v);
        return i + 1;
    }
    if (c >= '0' && c <= '7') {
        int v = 0, n = 0;
        while (n < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0'), ++n;
        out += static_cast<char>(v & 0xff);
        return i;
    }
    out += c;
    return i + 1;
}

}  // namespace

bool RcToken::is(std::string_view keyword) const {
    if (kind != Kind::Word || text.size() != keyword.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != keyword[i]) return false;
    }
    return true;
}

bool RcToken::number() const {
    if (kind != Kind::Word || text.empty() || text.size() > 9) return false;
    std::size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
    if (i == text.size()) return false;
    for (; i < text.size(); ++i)
        if (text[i] < '0' || text[i] > '9') return false;
    return true;
}

std::string RcToken::shown() const {
    if (kind == Kind::Equals) return "=";
    if (kind == Kind::Word) return text;
    std::string out = "\"";
    for (const unsigned char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c < 0x20 || c == 0x7f) {
            static constexpr std::string_view Hex = "0123456789abcdef";
            out += "\\x";
            out += Hex[c >> 4];
            out += Hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

Result<std::vector<RcToken>> lex_fetchmailrc(std::string_view s) {
    std::vector<RcToken> out;
    int line = 1;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '\0') return at(line, "a NUL byte: this is not a text file");
        if (c == '\n') {
            ++line, ++i;
        } else if (separates(c)) {
            ++i;
        } else if (c == '#') {
            while (i < s.size() && s[i] != '\n') ++i;
        } else if (c == '=') {
            out.push_back({RcToken::Kind::Equals, "=", line});
            ++i;
        } else if (c == '"' || c == '\'') {
            RcToken t{RcToken::Kind::String, {}, line};
            ++i;
            while (true) {
                if (i >= s.size())
                    return at(t.line, "a string opened here is never closed (a missing " + std::string(1, c) + ")");
                if (s[i] == c) break;
                if (s[i] == '\0') return at(line, "a NUL byte inside a string");
                if (s[i] == '\n') ++line;
                if (s[i] == '\\' && i + 1 < s.size()) {
                    if (s[i + 1] == '\n') ++line;
                    i = unescape(s, i + 1, t.text);
                } else {
                    t.text += s[i++];
                }
            }
            ++i;
            out.push_back(std::move(t));
        } else {
            RcToken t{RcToken::Kind::Word, {}, line};
            // As flex's longest match: a '#' inside a word is part of it.
            while (i < s.size() && !separates(s[i]) && s[i] != '=' && s[i] != '\0') t.text += s[i++];
            out.push_back(std::move(t));
        }
    }
    return out;
}

}  // namespace mailporter::import
