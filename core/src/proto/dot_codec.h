#pragma once
// Dot-stuffing codecs for POP3 multi-line responses (RFC 1939 §3) and SMTP
// DATA (RFC 5321 §4.5.2). Pure, streaming, bounded: each keeps a few bytes of
// state and never buffers a line, so any line length costs O(1) memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailporter {

// Decodes a POP3 multi-line body: the bytes after the "+OK ..." CRLF of
// RETR, TOP, UIDL, LIST, CAPA.
//  - A line that is exactly "." ends the response. The line end may be CRLF
//    or a bare LF (broken servers); the terminator is not part of the payload.
//  - RFC 1939 §3: a line that starts with '.' and is not the terminator is
//    byte-stuffed: its first '.' is removed (".." -> ".", ".x" -> "x").
//  - Everything else is copied as received: CRLF stays CRLF, a bare LF stays
//    LF, a CR not followed by LF is an ordinary byte.
// The input may be split anywhere across feed() calls; the output is the same
// for every split. Not thread-safe; one decoder per response.
class MultilineDecoder {
public:
    // Appends the decoded payload of `in` to `out` and returns how many bytes
    // of `in` it consumed. That is all of `in` unless the terminator ends
    // inside it: then done() becomes true and the bytes after the terminator
    // are not consumed (they belong to the next, pipelined, response). Once
    // done(), feed() consumes nothing and returns 0 until reset().
    // Bytes held back (a '.' at a line start, a following CR) count as
    // consumed: they are emitted, or dropped, by a later feed().
    std::size_t feed(std::string_view in, std::string& out);

    bool done() const noexcept { return state_ == State::Done; }

    // Back to the start of a new body.
    void reset() noexcept { state_ = State::LineStart; }

private:
    enum class State {
        LineStart,  // at the first byte of a line
        Dot,        // a line started with '.', nothing emitted yet
        DotCr,      // a line started with ".\r", nothing emitted yet
        InLine,     // inside a line
        Done,       // the terminator has been consumed
    };
    State state_ = State::LineStart;
};

// Encodes a message for the SMTP DATA phase (RFC 5321 §4.5.2):
//  - line ends are normalised: CRLF stays, a bare LF or a bare CR becomes
//    CRLF. This is the SMTP-smuggling defence: "\n.\n", "\r.\r", "\n.\r\n"
//    in the payload can never become a "<CRLF>.<CRLF>" on the wire, so the
//    office server sees exactly one message.
//  - a line starting with '.' gets one more '.'.
//  - chunks may split the payload anywhere: a CR ending one chunk and an LF
//    starting the next are one CRLF.
// The encoder never looks at line lengths or 8-bit bytes: it does not
// truncate, wrap or re-encode anything.
class DataEncoder {
public:
    // Appends the encoded form of `payload` to `out`. A trailing CR is held
    // back until the next feed() or finish() decides what it is.
    void feed(std::string_view payload, std::string& out);

    // Ends the message: appends CRLF if the payload did not end with a line
    // end (an empty payload needs none), then the terminator ".\r\n".
    // Afterwards the encoder is ready for a new message; bytes_in() is kept.
    void finish(std::string& out);

    // Payload bytes passed to feed() since construction or reset().
    std::uint64_t bytes_in() const noexcept { return bytes_in_; }

    void reset() noexcept;

private:
    bool line_start_ = true;   // the next byte starts a line
    bool pending_cr_ = false;  // the last byte fed was a CR
    std::uint64_t bytes_in_ = 0;
};

}  // namespace mailporter
