#pragma once
// The source folder of a relayed message, told to the office server so its
// own rules can file it (Account::folder_delivery): a header field or a
// plus-address ("subaddress", RFC 5233). Pure.
//
// The folder is named as people see it ("Work/Clients", see
// imap::user_name()). INBOX is never told by address: mail of the inbox
// goes to the plain address.

#include <string>
#include <string_view>

namespace mailporter::mail {

inline constexpr std::string_view FolderHeader = "X-MailPorter-Folder";

// The folder as a subaddress detail: letters, digits and
// ! # $ % & ' * - / = ? ^ _ ` { | } ~ kept, '.' kept between other
// characters, anything else (spaces, '+', '@', quotes, 8-bit) one '_' per
// character; at most `max` bytes. Empty for INBOX (any case) and for an
// empty name.
std::string folder_detail(std::string_view folder, std::size_t max = 64);

// "local+detail@domain"; `address` itself when the detail is empty, the
// local part is quoted, or the address has no '@'. The local part stays
// within RFC 5321's 64 octets (the detail is shortened).
std::string plus_address(std::string_view address, std::string_view folder);

// "X-MailPorter-Folder: <folder>" CRLF; the value RFC 2047-encoded (UTF-8,
// B) when it is not printable ASCII, at most 200 bytes of the name.
std::string folder_header(std::string_view folder);

// `head` (the start of a message: its header block, perhaps with some of
// the body after it) without the header fields called `name` (with their
// continuation lines): a sender's own X-MailPorter-Folder must not steer
// where the office files the message. Everything after the header block is
// left as it is.
std::string without_field(std::string_view head, std::string_view name);

}  // namespace mailporter::mail
