#pragma once
// What "the same message" means for the delivery ledger (architecture.md:
// "already delivered" means the same content reached that recipient, never
// merely the same Message-ID or the same number).
//
// ContentDigest: SHA-256 over a message as it streams by, leaving out what
// the provider's servers add on the way (transit fields: trace, envelope,
// spam verdicts), so the copies of one list mail that a catch-all box gets
// (one per recipient, each with its own Delivered-To) digest alike, while two
// messages that differ anywhere else — a scanner's attachments under one
// reused Message-ID, a cron mail without any — never do.
//   - Line ends are normalised: CRLF and bare LF count as one line end; a
//     lone CR is content.
//   - In the header block (up to the first empty line) a field whose name is
//     a transit field (is_transit_field) is skipped with its continuation
//     lines; every other field is hashed as written, name included.
//   - The body is hashed as is.
// Memory: a field name is looked at only up to 128 bytes (a longer "name" is
// hashed as content); nothing else is buffered.
//
// suspect_key: what may make a message a duplicate *candidate* before its
// content is known (the ledger then waits for the digest): the Message-ID,
// unfolded and without white space, or, for a message without one, a digest
// of its non-transit header fields.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mail/header_block.h"

namespace mailporter::mail {

// True for the fields mail servers add in transit (ASCII case-insensitive):
// Received, Return-Path, Delivered-To, X-Original-To, Envelope-To and their
// kin, Authentication-Results, Received-SPF, ARC-*, X-Spam-*, X-Virus-*.
bool is_transit_field(std::string_view name);

class ContentDigest {
public:
    ContentDigest();
    ~ContentDigest();
    ContentDigest(ContentDigest&&) noexcept;
    ContentDigest& operator=(ContentDigest&&) noexcept;

    // Feeds the next bytes of the message (any chunking gives the same digest).
    void feed(std::string_view chunk);
    // 64 lower-case hex digits. Call once, after the last feed().
    std::string finish();
    std::uint64_t bytes() const { return bytes_; }

private:
    void hash(std::string_view s);
    void line_byte(char c);
    void end_line();

    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
    std::uint64_t bytes_ = 0;
    bool in_header_ = true;
    bool at_line_start_ = true;
    bool skipping_field_ = false;  // the current header field is a transit field
    bool name_decided_ = false;    // the current header line's fate is known
    bool pending_cr_ = false;      // a CR whose meaning depends on the next byte
    std::string line_head_;        // the start of a header line, until its fate is known
};

// The digest of a whole message (tests and small inputs).
std::string content_digest(std::string_view message);

std::string suspect_key(const HeaderBlock& block);

}  // namespace mailporter::mail
