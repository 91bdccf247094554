#include "mail/header_peek.h"

#include <algorithm>
#include <cctype>

#include "mailporter/config.h"

namespace mailporter::mail {

namespace {
bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
}  // namespace

bool header_complete(std::string_view head) {
    if (head.rfind("\r\n", 0) == 0 || head.rfind("\n", 0) == 0) return true;  // no headers at all
    return head.find("\n\r\n") != std::string_view::npos || head.find("\n\n") != std::string_view::npos;
}

std::optional<std::string> header_value(std::string_view head, std::string_view name) {
    std::size_t pos = 0;
    while (pos < head.size()) {
        std::size_t eol = head.find('\n', pos);
        if (eol == std::string_view::npos) eol = head.size();
        std::string_view line = head.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;  // end of the header block
        const auto colon = line.find(':');
        if (colon != std::string_view::npos && line.front() != ' ' && line.front() != '\t' &&
            iequal(trim(line.substr(0, colon)), name)) {
            std::string value(trim(line.substr(colon + 1)));
            // RFC 5322 §2.2.3: unfold continuation lines.
            std::size_t next = eol + 1;
            while (next < head.size() && (head[next] == ' ' || head[next] == '\t')) {
                std::size_t e2 = head.find('\n', next);
                if (e2 == std::string_view::npos) e2 = head.size();
                value += ' ';
                value += trim(head.substr(next, e2 - next));
                next = e2 + 1;
                if (value.size() > 64 * 1024) break;
            }
            return value;
        }
        pos = eol + 1;
    }
    return std::nullopt;
}

std::string first_address(std::string_view value) {
    const auto lt = value.find('<');
    if (lt != std::string_view::npos) {
        const auto gt = value.find('>', lt + 1);
        if (gt != std::string_view::npos) return std::string(trim(value.substr(lt + 1, gt - lt - 1)));
    }
    std::size_t pos = 0;
    while (pos < value.size()) {
        while (pos < value.size() && (value[pos] == ' ' || value[pos] == ',' || value[pos] == '\t')) ++pos;
        std::size_t end = pos;
        while (end < value.size() && value[end] != ' ' && value[end] != ',' && value[end] != '\t') ++end;
        const auto token = value.substr(pos, end - pos);
        if (token.find('@') != std::string_view::npos) return std::string(token);
        pos = end;
    }
    return {};
}

std::string envelope_sender(std::string_view head) {
    for (std::string_view name : {"Return-Path", "Sender", "From"}) {
        if (auto v = header_value(head, name)) {
            auto addr = first_address(*v);
            if (name == "Return-Path" && trim(*v) == "<>") return {};
            if (is_valid_address(addr)) return addr;
        }
    }
    return {};
}

}  // namespace mailporter::mail
