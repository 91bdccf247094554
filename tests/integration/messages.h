#pragma once
// Test messages for the bed and how to compare what the office stored.

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>

namespace mailporter::test {

// A message with lines that need dot-stuffing, 8-bit text and plain words;
// CRLF line ends (byte-identical reads over POP3 and IMAP).
inline std::string make_message(const std::string& tag, int i, std::size_t body_bytes = 4500) {
    std::string m = "Return-Path: <sender" + std::to_string(i) +
                    "@example.test>\r\n"
                    "From: Sender " +
                    std::to_string(i) + " <sender" + std::to_string(i) +
                    "@example.test>\r\n"
                    "To: office@example.test\r\n"
                    "Subject: " +
                    tag + " message " + std::to_string(i) +
                    "\r\n"
                    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                    "Message-ID: <" +
                    tag + "-" + std::to_string(i) +
                    "@example.test>\r\n"
                    "MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    std::mt19937 rng(static_cast<unsigned>(i));
    int line = 0;
    while (m.size() < body_bytes) {
        // Lines that need dot-stuffing, an 8-bit line, and plain text.
        switch (line++ % 7) {
            case 0:
                m += ".a line starting with a dot\r\n";
                break;
            case 1:
                m += "..two dots\r\n";
                break;
            case 2:
                m += "Gr\xC3\xBC\xC3\x9F"
                     "e aus K\xC3\xB6ln, line " +
                     std::to_string(line) + "\r\n";
                break;
            case 3:
                m += ".\tdot then tab\r\n";
                break;
            default: {
                std::string words;
                for (int w = 0; w < 10; ++w) words += std::to_string(rng() % 100000) + " ";
                m += words + "\r\n";
            }
        }
    }
    return m;
}

inline std::string lf(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    return s;
}

// What the office server stored after MailPorter's trace line (Postfix
// prepends its own headers above it and stores LF line ends).
inline std::string after_trace(const std::string& stored, int* trace_count = nullptr) {
    const std::string marker = "by MailPorter (";
    int count = 0;
    std::size_t pos = 0, last = std::string::npos;
    while ((pos = stored.find(marker, pos)) != std::string::npos) {
        ++count;
        last = pos;
        pos += marker.size();
    }
    if (trace_count) *trace_count = count;
    if (last == std::string::npos) return {};
    std::size_t eol = stored.find('\n', last);
    while (eol != std::string::npos && eol + 1 < stored.size() && (stored[eol + 1] == '\t' || stored[eol + 1] == ' '))
        eol = stored.find('\n', eol + 1);
    return eol == std::string::npos ? std::string() : stored.substr(eol + 1);
}

// Postfix's cleanup drops a Return-Path: header from the content
// (message_drop_headers) and writes its own at the top; everything else of
// the original must arrive unchanged.
inline std::string without_return_path(const std::string& lf_message) {
    if (lf_message.rfind("Return-Path:", 0) != 0) return lf_message;
    return lf_message.substr(lf_message.find('\n') + 1);
}

inline std::string message_id_of(const std::string& stored) {
    const auto p = stored.find("Message-ID: <");
    if (p == std::string::npos) return {};
    const auto e = stored.find('>', p);
    return stored.substr(p + 13, e - p - 13);
}

}  // namespace mailporter::test
