#pragma once
// Reading another tool's configuration: fetchmail's run control file
// (~/.fetchmailrc; grammar of fetchmail's rcfile_l.l/rcfile_y.y, fetchmail(1)
// "THE RUN CONTROL FILE"). Pure: the caller reads the file and writes what it
// wants to keep (config_file.h's apply_config does the writing).
//
// Nothing is dropped silently: every statement either maps onto an Account,
// the office server or the default interval, or is listed in `unmapped`
// with its line and why. Statements that map only approximately (protocol
// auto taken as POP3, STARTTLS required where fetchmail would fall back)
// are imported and listed in `notes`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter {

struct ImportNote {
    int line = 0;           // 1-based line of the statement in the file; 0: not one line
    std::string statement;  // as written (a password never: it shows as "(hidden)")
    std::string why;        // what MailPorter does instead, in words
};
// "line 12: `mda "/usr/bin/procmail"`: MailPorter relays over SMTP; not imported"
std::string to_string(const ImportNote& n);

struct ImportedAccount {
    Account account;       // validated (validate(Account) passed); id 0
    std::string password;  // empty: the file gives none
    int line = 0;          // of its `user` (or, without one, its poll entry)
};

struct FetchmailImport {
    std::vector<ImportedAccount> accounts;
    std::optional<OfficeServer> office;   // from the first smtphost given
    std::optional<int> interval_minutes;  // from `set daemon N` (seconds, rounded up)
    std::vector<ImportNote> unmapped;     // not imported, each with why
    std::vector<ImportNote> notes;        // imported, approximately: what changed
};

struct FetchmailOptions {
    // The office's mail domain: `is alice here` becomes alice@<office_domain>.
    // Empty: such entries are listed as needing it (an address is never made up).
    std::string office_domain;
};

// Errc::ConfigInvalid for text fetchmail itself would refuse (an unterminated
// string, a word where a statement must start, a keyword without its value);
// the detail starts with "line N:". Never throws; bounded by the text's size.
Result<FetchmailImport> parse_fetchmailrc(std::string_view text, const FetchmailOptions& options);

// The account already set up for the same box as `a` (same protocol, host
// and user, both without case: a wrong match only stops an import; for
// IMAP, folders in common), other than `a` itself by id; nullptr when none. An
// import must never add a second account for a box: the new one would have
// no memory of what the first delivered, fetch everything again and, under
// its own leave policy, delete what the first keeps.
const Account* same_box(const std::vector<Account>& existing, const Account& a);
// What same_box compares first, as one string (protocol, host, user without
// case): to look up candidates by key when there are thousands.
std::string box_key(const Account& a);

// `import fetchmailrc --replace`: the file's settings of the box over the
// account that exists. What a fetchmailrc cannot say stays: the id and
// name, OAuth2, folder delivery, the TLS pins (while the host is the same).
// The leave policy is never shortened: a box kept forever or for N days
// stays so even when the file says nokeep (`kept_leave` is then set), since
// fetchmail's default deletes and the file may simply not say.
Account replace_from_file(const Account& existing, const Account& from_file, bool& kept_leave);

}  // namespace mailporter
