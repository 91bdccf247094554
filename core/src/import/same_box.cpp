// One account per box, and what a re-import may change (mailporter/import.h).

#include <string>
#include <vector>

#include "ascii.h"
#include "mailporter/import.h"

namespace mailporter {

namespace {

// How long a policy keeps mail remote, to compare two: delete < N days < for ever.
long long keeps_for(const LeavePolicy& p) {
    switch (p.kind) {
        case LeavePolicy::Kind::Delete:
            return 0;
        case LeavePolicy::Kind::Days:
            return p.days;
        case LeavePolicy::Kind::Forever:
        case LeavePolicy::Kind::MarkRead:
            return 1LL << 40;
    }
    return 1LL << 40;
}

// IMAP: two accounts of one box are two only when their folders differ
// ("INBOX" when none is named; "*" is every folder).
bool folders_meet(const Account& x, const Account& y) {
    if (x.protocol != Protocol::Imap) return true;
    const auto names = [](const Account& a) {
        return a.folders.empty() ? std::vector<std::string>{"INBOX"} : a.folders;
    };
    for (const auto& f : names(x))
        for (const auto& g : names(y))
            if (f == "*" || g == "*" || ascii_lower(f) == ascii_lower(g)) return true;
    return false;
}

}  // namespace

std::string box_key(const Account& a) {
    return std::string(to_string(a.protocol)) + '\x1f' + ascii_lower(a.host) + '\x1f' + ascii_lower(a.user);
}

const Account* same_box(const std::vector<Account>& existing, const Account& a) {
    for (const auto& e : existing)
        if ((a.id == 0 || e.id != a.id) && e.protocol == a.protocol && ascii_lower(e.host) == ascii_lower(a.host) &&
            ascii_lower(e.user) == ascii_lower(a.user) && folders_meet(e, a))
            return &e;
    return nullptr;
}

Account replace_from_file(const Account& existing, const Account& from_file, bool& kept_leave) {
    Account a = from_file;
    a.id = existing.id;
    a.name = existing.name;
    a.oauth = existing.oauth;
    a.folder_delivery = existing.folder_delivery;
    if (ascii_lower(existing.host) == ascii_lower(from_file.host)) {
        const TlsMode mode = a.tls.mode;
        a.tls = existing.tls;
        a.tls.mode = mode;
    }
    kept_leave = keeps_for(existing.leave) > keeps_for(from_file.leave);
    if (kept_leave) a.leave = existing.leave;
    return a;
}

}  // namespace mailporter
