#pragma once
// What a fetchmail poll entry, the defaults or one user of an entry says,
// as fetchmailrc.cpp collects it before building an Account.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailporter::import {

// What an entry, the defaults or one user of an entry says (user options
// override the entry's, which override the defaults).
struct RcEntry {
    std::optional<std::string> proto;
    std::optional<int> port;
    std::optional<std::string> via;
    std::optional<bool> ssl, keep, idle;
    std::optional<std::string> sslproto;
    std::vector<std::string> localdomains;
    std::optional<std::string> envelope;
    std::optional<int> interval_cycles;
    int interval_line = 0;
    std::optional<std::string> user, password;
    std::vector<std::string> localnames;
    bool names_mapped = false;  // `is "remote" = "local"`
    int names_line = 0;
    std::vector<std::string> folders;
    std::vector<std::string> smtphosts;
    int smtp_line = 0;
    std::optional<std::string> smtpname, smtpaddress;
    std::optional<std::int64_t> limit;
    std::optional<int> fetchlimit;
};

}  // namespace mailporter::import
