// What may go on the wire as one protocol command line, and wiping buffers
// that held a secret.
#pragma once

#include <string>
#include <string_view>

#include <openssl/crypto.h>

namespace mailporter::proto {

// A command is one line: a CR, LF or NUL inside it (from a user name, an
// address, a folder name) would end it early and start a second command of
// someone else's choosing. Sessions refuse to send such a line.
inline bool one_line(std::string_view line) {
    return line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Overwrites the bytes (OPENSSL_cleanse: not optimised away), then clears.
inline void wipe(std::string& s) {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

}  // namespace mailporter::proto
