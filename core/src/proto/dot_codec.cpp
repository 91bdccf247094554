#include "proto/dot_codec.h"

namespace mailporter {

std::size_t MultilineDecoder::feed(std::string_view in, std::string& out) {
    std::size_t i = 0;
    while (i < in.size() && state_ != State::Done) {
        switch (state_) {
            case State::LineStart:
                if (in[i] == '.') {
                    state_ = State::Dot;  // held back: stuffing, or the terminator
                    ++i;
                } else {
                    state_ = State::InLine;  // InLine copies this byte (an empty line's LF too)
                }
                break;
            case State::InLine: {
                // Copy up to and including the next LF: a line end whether a CR
                // precedes it or not. A lone CR is payload, not a line end.
                const auto lf = in.find('\n', i);
                if (lf == std::string_view::npos) {
                    out.append(in.substr(i));
                    i = in.size();
                } else {
                    out.append(in.substr(i, lf + 1 - i));
                    i = lf + 1;
                    state_ = State::LineStart;
                }
                break;
            }
            case State::Dot:
                if (in[i] == '\n') {
                    // "." LF: a broken server's terminator.
                    state_ = State::Done;
                    ++i;
                } else if (in[i] == '\r') {
                    state_ = State::DotCr;
                    ++i;
                } else {
                    // RFC 1939 §3: "If so and if octets other than CRLF
                    // follow, the first octet of the line (the termination
                    // octet) is stripped away." This byte is content.
                    state_ = State::InLine;
                }
                break;
            case State::DotCr:
                if (in[i] == '\n') {
                    // RFC 1939 §3: "." CRLF terminates the multi-line response.
                    state_ = State::Done;
                    ++i;
                } else {
                    // ".\r" + something else: a stuffed line whose CR is content.
                    out += '\r';
                    state_ = State::InLine;
                }
                break;
            case State::Done:
                break;
        }
    }
    return i;
}

void DataEncoder::feed(std::string_view payload, std::string& out) {
    bytes_in_ += payload.size();
    std::size_t i = 0;
    while (i < payload.size()) {
        if (pending_cr_) {
            // The CR held back is a line end either way: with this LF it is a
            // CRLF; alone it is a bare CR, which becomes CRLF too (SMTP
            // smuggling: "\r.\r" must not look like a terminator to anyone).
            pending_cr_ = false;
            out += "\r\n";
            line_start_ = true;
            if (payload[i] == '\n') ++i;
            continue;
        }
        const char c = payload[i];
        if (c == '\r') {
            pending_cr_ = true;
            ++i;
            continue;
        }
        if (c == '\n') {
            out += "\r\n";  // bare LF
            line_start_ = true;
            ++i;
            continue;
        }
        // RFC 5321 §4.5.2: "If it is a period, one additional period is
        // inserted at the beginning of the line."
        if (line_start_ && c == '.') out += '.';
        auto end = payload.find_first_of("\r\n", i);
        if (end == std::string_view::npos) end = payload.size();
        out.append(payload.substr(i, end - i));
        i = end;
        line_start_ = false;
    }
}

void DataEncoder::finish(std::string& out) {
    if (pending_cr_) {
        out += "\r\n";
        pending_cr_ = false;
        line_start_ = true;
    }
    if (!line_start_) out += "\r\n";
    out += ".\r\n";
    line_start_ = true;
}

void DataEncoder::reset() noexcept {
    line_start_ = true;
    pending_cr_ = false;
    bytes_in_ = 0;
}

}  // namespace mailporter
