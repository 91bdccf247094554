#include "mail/header_peek.h"

#include <algorithm>

#include "mail/header_block.h"
#include "mailporter/ascii.h"
#include "mailporter/config.h"

namespace mailporter::mail {

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
}  // namespace

bool header_complete(std::string_view head) {
    HeaderLines lines(head);
    while (lines.next()) {
    }
    // The empty line counts with its line end only: a "\r" at the very end
    // may be the first half of its CRLF.
    return lines.ended() && head[lines.offset() - 1] == '\n';
}

std::optional<std::string> header_value(std::string_view head, std::string_view name) {
    HeaderLines lines(head);
    while (const auto line = lines.next()) {
        const auto colon = line->find(':');
        if (colon == std::string_view::npos || line->front() == ' ' || line->front() == '\t' ||
            !iequals(trim(line->substr(0, colon)), name)) {
            continue;
        }
        std::string value(trim(line->substr(colon + 1)));
        // RFC 5322 §2.2.3: unfold continuation lines.
        while (const auto more = lines.next()) {
            if (more->front() != ' ' && more->front() != '\t') break;
            value += ' ';
            value += trim(*more);
            if (value.size() > 64 * 1024) break;
        }
        return value;
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
