#pragma once
// IMAP folder names as people see them, and the folders an account fetches.
//
// Servers name folders in a namespace (RFC 2342): Dovecot's default is the
// empty prefix ("Archive"), Courier and Cyrus put personal folders under
// "INBOX." ("INBOX.Archive"). Mail programs hide the prefix and show the
// hierarchy with their own separator, so people type "Archive" or
// "Work/Clients". Naming says how one server does it; user_name() turns a
// server name into what people see, and select_folders() finds the server's
// folder for each name an account was given (the raw name, what people see,
// or — when only one folder fits — the same name in another case).
//
// Pure: no I/O. The raw name stays the key for commands and the ledger.

#include <string>
#include <string_view>
#include <vector>

#include "proto/imap_parser.h"

namespace mailporter::imap {

// One LIST entry (Session::list()).
struct MailboxInfo {
    std::string name;                // raw (modified UTF-7), for commands
    std::string display;             // decoded to UTF-8 for display; == name if it does not decode
    char delimiter = 0;              // 0: NIL (flat namespace)
    bool noselect = false;           // \Noselect or \NonExistent
    std::vector<std::string> flags;  // as sent, e.g. "\HasNoChildren"
};

struct Naming {
    std::string prefix;               // raw personal prefix ("", "INBOX."), hidden from people
    char delimiter = 0;               // the personal namespace's hierarchy delimiter; 0: flat
    std::vector<std::string> others;  // prefixes of other users' and shared namespaces
};
// From the server's NAMESPACE answer; without one (or an empty one), guessed
// from the listing: "INBOX" + delimiter when every other folder starts with
// it (an old Courier without NAMESPACE), else "".
Naming naming_of(const NamespaceData& ns, const std::vector<MailboxInfo>& listed);

// RFC 6154 special-use roles, and the usual names of servers that do not
// announce them.
enum class Role { None, Inbox, Sent, Drafts, Trash, Junk, Archive, All, Flagged };
std::string_view to_string(Role r);  // "", "inbox", "sent", ...
Role role_of(const MailboxInfo& mb);
// Folders "*" leaves out unless named: Sent, Drafts, Trash and Junk hold no
// incoming mail to relay; All Mail and Flagged repeat other folders;
// Archive is mail already dealt with.
bool skipped_by_all(Role r);

// What people see: the personal prefix hidden (never for INBOX itself),
// modified UTF-7 decoded, the hierarchy shown with '/'.
std::string user_name(const MailboxInfo& mb, const Naming& n);

struct Folder {
    std::string name;     // raw, for commands and the ledger
    std::string display;  // user_name()
    Role role = Role::None;
};
// Every selectable folder of the personal namespace (INBOX first, then in
// the server's order): what a folder picker shows.
std::vector<Folder> personal_folders(const std::vector<MailboxInfo>& listed, const Naming& n);

struct Selection {
    std::vector<Folder> folders;  // to fetch from, each once, INBOX first
    struct Mapped {
        std::string wanted;  // as the account names it
        std::string name;    // the server's raw name, where it differs from `wanted`
    };
    std::vector<Mapped> mapped;
    std::vector<std::string> missing;  // named but not found (or not selectable)
};
// `wanted` as an account keeps it: empty or {"INBOX"} for the inbox alone;
// "*" for every personal folder except the ones skipped_by_all() (named
// ones are fetched all the same).
Selection select_folders(const std::vector<std::string>& wanted, const std::vector<MailboxInfo>& listed,
                         const Naming& n);

}  // namespace mailporter::imap
