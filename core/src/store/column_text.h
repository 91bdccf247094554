#pragma once
// Values kept as text in one column of the accounts and office_server rows:
// lists of short, validated values (domains, header names, folders), one
// per line; the OAuth2 settings, one field per line.

#include <string>
#include <vector>

#include "mailporter/config.h"

namespace mailporter::store {

std::string join_lines(const std::vector<std::string>& v);
std::vector<std::string> split_lines(const std::string& s);  // empty lines dropped
// "" for a password login.
std::string encode_oauth(const OAuthSettings& o);
OAuthSettings decode_oauth(const std::string& text);

}  // namespace mailporter::store
