#pragma once
// The IMAP-only account fields, read and written through these helpers only,
// so the wizard does not depend on how config.h spells them (the folders,
// IDLE and folder-delivery fields and LeavePolicy::Kind::MarkRead arrived
// while the wizard was being written; a rename or a move is a change here,
// not in the pages).

#include <string>
#include <vector>

#include "mailporter/config.h"

namespace mailporter::app {

// Which IMAP folders an account fetches from.
struct FolderChoice {
    enum class Kind { Inbox, Named, All };
    Kind kind = Kind::Inbox;
    std::vector<std::string> names;  // for Kind::Named
};

inline FolderChoice folders_of(const Account& a) {
    FolderChoice c;
    if (a.folders.empty() || (a.folders.size() == 1 && a.folders.front() == "INBOX")) return c;
    if (a.folders.size() == 1 && a.folders.front() == "*") {
        c.kind = FolderChoice::Kind::All;
        return c;
    }
    c.kind = FolderChoice::Kind::Named;
    c.names = a.folders;
    return c;
}

inline void set_folders(Account& a, const FolderChoice& c) {
    switch (c.kind) {
        case FolderChoice::Kind::Inbox:
            a.folders.clear();
            break;  // "INBOX when empty" (config.h)
        case FolderChoice::Kind::All:
            a.folders = {"*"};
            break;
        case FolderChoice::Kind::Named:
            a.folders = c.names;
            break;
    }
    if (a.protocol != Protocol::Imap) a.folders.clear();  // validate() refuses folders on POP3
}

// How the folders reach the office (the same address, a header, plus-addressing).
inline FolderDelivery folder_delivery_of(const Account& a) { return a.folder_delivery; }
inline void set_folder_delivery(Account& a, FolderDelivery d) {
    a.folder_delivery = a.protocol == Protocol::Imap ? d : FolderDelivery::One;
}

inline bool idle_of(const Account& a) { return a.idle; }
inline void set_idle(Account& a, bool on) { a.idle = on && a.protocol == Protocol::Imap; }

inline bool is_mark_read(const LeavePolicy& p) { return p.kind == LeavePolicy::Kind::MarkRead; }
inline LeavePolicy mark_read_policy() { return LeavePolicy{LeavePolicy::Kind::MarkRead, 0}; }

}  // namespace mailporter::app
