#pragma once
// Minimal header look-ups for the relay path (envelope sender, history
// fields). Pure; bounded by the header block the caller passes in.

#include <optional>
#include <string>
#include <string_view>

namespace mailporter::mail {

// The header block ends at the first empty line.
bool header_complete(std::string_view head);
// First header field `name` (case-insensitive) in the header block, unfolded,
// without the name and colon, trimmed. Looks only above the first empty line.
std::optional<std::string> header_value(std::string_view head, std::string_view name);
// The addr-spec in a header value: what is inside <...>, else the first token
// with an '@'. Empty when none (or "<>").
std::string first_address(std::string_view value);
// The envelope sender for MAIL FROM: Return-Path, else Sender, else From;
// empty (the null reverse-path) when none is a valid address.
std::string envelope_sender(std::string_view head);

}  // namespace mailporter::mail
