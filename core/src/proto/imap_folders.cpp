#include "proto/imap_folders.h"

#include <algorithm>

#include "mailporter/ascii.h"

namespace mailporter::imap {

namespace {

bool is_inbox(std::string_view name) { return iequals(name, "INBOX"); }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// In the personal namespace: INBOX, or under the personal prefix and not
// under another namespace's (shared folders may share the empty prefix).
bool personal(const MailboxInfo& mb, const Naming& n) {
    if (is_inbox(mb.name)) return true;
    if (!n.prefix.empty()) return starts_with(mb.name, n.prefix) && mb.name.size() > n.prefix.size();
    return std::none_of(n.others.begin(), n.others.end(),
                        [&](const std::string& o) { return !o.empty() && starts_with(mb.name, o); });
}

}  // namespace

Naming naming_of(const NamespaceData& ns, const std::vector<MailboxInfo>& listed) {
    Naming n;
    for (const auto& o : ns.other) n.others.push_back(o.prefix);
    if (!ns.personal.empty()) {
        n.prefix = ns.personal.front().prefix;
        n.delimiter = ns.personal.front().delimiter;
        // "INBOX" as a prefix without its delimiter is how some servers write
        // "INBOX." (the folders are below INBOX all the same).
        if (n.delimiter != 0 && is_inbox(n.prefix)) n.prefix = "INBOX" + std::string(1, n.delimiter);
        return n;
    }
    for (const auto& mb : listed)
        if (mb.delimiter != 0) {
            n.delimiter = mb.delimiter;
            break;
        }
    if (n.delimiter == 0) return n;
    const std::string inbox_prefix = "INBOX" + std::string(1, n.delimiter);
    bool any = false, all_below = true;
    for (const auto& mb : listed) {
        if (is_inbox(mb.name)) continue;
        any = true;
        if (!starts_with(ascii_upper(mb.name), inbox_prefix)) all_below = false;
    }
    if (any && all_below) n.prefix = inbox_prefix;
    return n;
}

std::string_view to_string(Role r) {
    switch (r) {
        case Role::None:
            return "";
        case Role::Inbox:
            return "inbox";
        case Role::Sent:
            return "sent";
        case Role::Drafts:
            return "drafts";
        case Role::Trash:
            return "trash";
        case Role::Junk:
            return "junk";
        case Role::Archive:
            return "archive";
        case Role::All:
            return "all";
        case Role::Flagged:
            return "flagged";
    }
    return "";
}

Role role_of(const MailboxInfo& mb) {
    if (is_inbox(mb.name)) return Role::Inbox;
    static constexpr std::pair<std::string_view, Role> Flags[] = {
        {"\\SENT", Role::Sent},       {"\\DRAFTS", Role::Drafts}, {"\\TRASH", Role::Trash},    {"\\JUNK", Role::Junk},
        {"\\ARCHIVE", Role::Archive}, {"\\ALL", Role::All},       {"\\FLAGGED", Role::Flagged}};
    for (const auto& f : mb.flags)
        for (const auto& [flag, role] : Flags)
            if (ascii_upper(f) == flag) return role;
    std::string leaf = mb.display;
    if (mb.delimiter != 0) {
        const auto at = leaf.rfind(mb.delimiter);
        if (at != std::string::npos) leaf = leaf.substr(at + 1);
    }
    static constexpr std::pair<std::string_view, Role> Names[] = {
        {"SENT", Role::Sent},           {"SENT ITEMS", Role::Sent},        {"SENT MESSAGES", Role::Sent},
        {"SENT MAIL", Role::Sent},      {"DRAFTS", Role::Drafts},          {"TRASH", Role::Trash},
        {"DELETED ITEMS", Role::Trash}, {"DELETED MESSAGES", Role::Trash}, {"BIN", Role::Trash},
        {"JUNK", Role::Junk},           {"JUNK E-MAIL", Role::Junk},       {"JUNK EMAIL", Role::Junk},
        {"SPAM", Role::Junk},           {"ALL MAIL", Role::All},           {"ARCHIVE", Role::Archive}};
    const std::string u = ascii_upper(leaf);
    for (const auto& [name, role] : Names)
        if (u == name) return role;
    return Role::None;
}

bool skipped_by_all(Role r) { return r != Role::None && r != Role::Inbox; }

std::string user_name(const MailboxInfo& mb, const Naming& n) {
    if (is_inbox(mb.name)) return "INBOX";
    std::string raw = mb.name;
    char delimiter = mb.delimiter != 0 ? mb.delimiter : n.delimiter;
    if (!n.prefix.empty() && starts_with(raw, n.prefix) && raw.size() > n.prefix.size()) raw.erase(0, n.prefix.size());
    std::string shown = decode_mailbox_name(raw).value_or(raw);
    if (delimiter != 0 && delimiter != '/' && static_cast<unsigned char>(delimiter) < 0x80)
        std::replace(shown.begin(), shown.end(), delimiter, '/');
    return shown;
}

std::vector<Folder> personal_folders(const std::vector<MailboxInfo>& listed, const Naming& n) {
    std::vector<Folder> out;
    bool inbox = false;
    for (const auto& mb : listed) {
        if (mb.noselect || !personal(mb, n)) continue;
        if (is_inbox(mb.name)) {
            if (inbox) continue;
            inbox = true;
            out.insert(out.begin(), Folder{"INBOX", "INBOX", Role::Inbox});
            continue;
        }
        out.push_back({mb.name, user_name(mb, n), role_of(mb)});
    }
    // Every server has an INBOX, listed or not (RFC 3501 §5.1).
    if (!inbox) out.insert(out.begin(), Folder{"INBOX", "INBOX", Role::Inbox});
    return out;
}

Selection select_folders(const std::vector<std::string>& wanted, const std::vector<MailboxInfo>& listed,
                         const Naming& n) {
    Selection sel;
    const auto all = personal_folders(listed, n);
    const auto add = [&](const Folder& f) {
        if (std::none_of(sel.folders.begin(), sel.folders.end(), [&](const Folder& x) { return x.name == f.name; }))
            sel.folders.push_back(f);
    };
    const bool everything = std::find(wanted.begin(), wanted.end(), "*") != wanted.end();
    if (wanted.empty()) add(all.front());
    // A name with the server's own delimiter reads the same with '/'.
    const auto people_form = [&](std::string w) {
        if (n.delimiter != 0 && n.delimiter != '/') std::replace(w.begin(), w.end(), n.delimiter, '/');
        return w;
    };
    for (const auto& w : wanted) {
        if (w == "*") continue;
        const Folder* found = nullptr;
        if (is_inbox(w)) found = &all.front();
        for (const auto& f : all) {
            if (found) break;
            if (f.name == w) found = &f;
        }
        // Decoded raw names (an account written with the prefix, in UTF-8).
        for (const auto& mb : listed) {
            if (found) break;
            if (mb.noselect || mb.display != w) continue;
            for (const auto& f : all)
                if (f.name == mb.name) found = &f;
        }
        const std::string as_seen = people_form(w);
        for (const auto& f : all) {
            if (found) break;
            if (f.display == w || f.display == as_seen) found = &f;
        }
        if (!found) {
            // Case aside, but only when exactly one folder fits.
            const Folder* only = nullptr;
            int fits = 0;
            for (const auto& f : all)
                if (ascii_upper(f.display) == ascii_upper(as_seen)) {
                    only = &f;
                    ++fits;
                }
            if (fits == 1) found = only;
        }
        if (!found) {
            sel.missing.push_back(w);
            continue;
        }
        if (found->name != w && !(is_inbox(w) && found->name == "INBOX")) sel.mapped.push_back({w, found->name});
        add(*found);
    }
    if (everything)
        for (const auto& f : all)
            if (!skipped_by_all(f.role)) add(f);
    // INBOX first: new mail lands there on nearly every server.
    std::stable_partition(sel.folders.begin(), sel.folders.end(), [](const Folder& f) { return f.name == "INBOX"; });
    return sel;
}

}  // namespace mailporter::imap
