// Folder names as people see them (NAMESPACE prefixes, delimiters) and the
// folders an account fetches from (issue 18).
#include "proto/imap_folders.h"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "proto/imap_parser.h"

using namespace mailporter;
using namespace mailporter::imap;

namespace {

MailboxInfo mb(std::string name, char delimiter = '.', std::vector<std::string> flags = {}) {
    MailboxInfo m;
    m.name = std::move(name);
    m.display = decode_mailbox_name(m.name).value_or(m.name);
    m.delimiter = delimiter;
    m.flags = std::move(flags);
    m.noselect = std::find(m.flags.begin(), m.flags.end(), "\\Noselect") != m.flags.end();
    return m;
}

NamespaceData ns(std::string prefix, char delimiter) {
    NamespaceData n;
    n.personal.push_back({std::move(prefix), delimiter});
    return n;
}

std::vector<std::string> names(const std::vector<Folder>& fs) {
    std::vector<std::string> out;
    for (const auto& f : fs) out.push_back(f.name);
    return out;
}

// Courier and Cyrus: personal folders under "INBOX.".
const std::vector<MailboxInfo> Courier{mb("INBOX"),         mb("INBOX.Archive"),      mb("INBOX.Sent", '.', {"\\Sent"}),
                                       mb("INBOX.Work"),    mb("INBOX.Work.Clients"), mb("INBOX.Trash"),
                                       mb("INBOX.Caf&AOk-")};

}  // namespace

TEST_CASE("NAMESPACE and STATUS responses are parsed; malformed ones are errors", "[imap][folders]") {
    auto r = parse_response("* NAMESPACE ((\"INBOX.\" \".\")) ((\"#shared.\" \".\")(\"#public.\" \".\")) NIL");
    REQUIRE(r.ok());
    REQUIRE(r->data == Response::Data::Namespace);
    REQUIRE(r->namespaces);
    REQUIRE(r->namespaces->personal.size() == 1);
    CHECK(r->namespaces->personal[0].prefix == "INBOX.");
    CHECK(r->namespaces->personal[0].delimiter == '.');
    REQUIRE(r->namespaces->other.size() == 2);
    CHECK(r->namespaces->other[1].prefix == "#public.");

    // Extensions inside a description (RFC 2342 §5) are skipped; NIL delimiter.
    r = parse_response("* NAMESPACE ((\"\" NIL \"X-PARAM\" (\"a\" \"b\"))) NIL NIL");
    REQUIRE(r.ok());
    REQUIRE(r->namespaces->personal.size() == 1);
    CHECK(r->namespaces->personal[0].prefix.empty());
    CHECK(r->namespaces->personal[0].delimiter == 0);

    for (const char* bad : {"* NAMESPACE ((\"\" \"//\")) NIL NIL", "* NAMESPACE ((\"\" \"/\") NIL NIL",
                            "* NAMESPACE ((\"\" \"/\")) NIL", "* NAMESPACE (x) NIL NIL", "* NAMESPACE"}) {
        INFO(bad);
        CHECK_FALSE(parse_response(bad).ok());
    }

    r = parse_response("* STATUS \"INBOX.Work\" (MESSAGES 3 UIDNEXT 41 UIDVALIDITY 7 UNSEEN 2)");
    REQUIRE(r.ok());
    REQUIRE(r->data == Response::Data::Status);
    CHECK(r->status_data->mailbox == "INBOX.Work");
    CHECK(r->status_data->messages == 3u);
    CHECK(r->status_data->uidnext == 41u);
    CHECK(r->status_data->uidvalidity == 7u);
    r = parse_response("* STATUS inbox (UIDNEXT 5)");
    REQUIRE(r.ok());
    CHECK(r->status_data->mailbox == "INBOX");
    CHECK_FALSE(r->status_data->messages);
    CHECK_FALSE(parse_response("* STATUS INBOX (UIDNEXT x)").ok());
    CHECK_FALSE(parse_response("* STATUS INBOX (UIDNEXT 5").ok());
}

TEST_CASE("a prefixed namespace: names are shown and matched as mail programs show them", "[imap][folders]") {
    const Naming n = naming_of(ns("INBOX.", '.'), Courier);
    CHECK(n.prefix == "INBOX.");
    CHECK(user_name(Courier[1], n) == "Archive");
    CHECK(user_name(Courier[4], n) == "Work/Clients");
    CHECK(user_name(Courier[6], n) == "Café");
    CHECK(user_name(Courier[0], n) == "INBOX");

    auto sel = select_folders({"Archive", "Work/Clients", "Café"}, Courier, n);
    CHECK(names(sel.folders) == std::vector<std::string>{"INBOX.Archive", "INBOX.Work.Clients", "INBOX.Caf&AOk-"});
    CHECK(sel.missing.empty());
    REQUIRE(sel.mapped.size() == 3);
    CHECK(sel.mapped[0].wanted == "Archive");
    CHECK(sel.mapped[0].name == "INBOX.Archive");

    // The raw name, the server's delimiter, another case (only one fits), INBOX in any case.
    sel = select_folders({"INBOX.Work", "Work.Clients", "archive", "inbox"}, Courier, n);
    CHECK(names(sel.folders) == std::vector<std::string>{"INBOX", "INBOX.Work", "INBOX.Work.Clients", "INBOX.Archive"});
    CHECK(sel.missing.empty());

    sel = select_folders({"Archive", "Nope", "Archive"}, Courier, n);
    CHECK(names(sel.folders) == std::vector<std::string>{"INBOX.Archive"});  // once
    CHECK(sel.missing == std::vector<std::string>{"Nope"});
}

TEST_CASE("'*' takes every personal folder but the special-use ones, INBOX first", "[imap][folders]") {
    const Naming n = naming_of(ns("INBOX.", '.'), Courier);
    auto sel = select_folders({"*"}, Courier, n);
    // Archive is mail already dealt with; Sent and Trash hold no incoming mail.
    CHECK(names(sel.folders) ==
          std::vector<std::string>{"INBOX", "INBOX.Work", "INBOX.Work.Clients", "INBOX.Caf&AOk-"});
    // Named ones are fetched all the same.
    sel = select_folders({"*", "Sent"}, Courier, n);
    const auto got = names(sel.folders);
    CHECK(got.at(0) == "INBOX");
    CHECK(std::count(got.begin(), got.end(), "INBOX.Sent") == 1);

    // Shared and other users' namespaces are never fetched by "*".
    NamespaceData d = ns("", '/');
    d.other.push_back({"shared/", '/'});
    const std::vector<MailboxInfo> dovecot{mb("INBOX", '/'), mb("News", '/'), mb("shared/team", '/'),
                                           mb("Junk", '/', {"\\Junk"}), mb("Folders", '/', {"\\Noselect"})};
    sel = select_folders({"*"}, dovecot, naming_of(d, dovecot));
    CHECK(names(sel.folders) == std::vector<std::string>{"INBOX", "News"});
}

TEST_CASE("without NAMESPACE the prefix is guessed from the listing", "[imap][folders]") {
    CHECK(naming_of({}, Courier).prefix == "INBOX.");
    CHECK(naming_of({}, Courier).delimiter == '.');
    const std::vector<MailboxInfo> flat{mb("INBOX", '/'), mb("Archive", '/'), mb("INBOX/Sub", '/')};
    CHECK(naming_of({}, flat).prefix.empty());
    CHECK(naming_of({}, {mb("INBOX", 0)}).prefix.empty());
    // "INBOX" written without its delimiter is "INBOX.".
    CHECK(naming_of(ns("INBOX", '.'), Courier).prefix == "INBOX.");
}

TEST_CASE("personal_folders lists INBOX first even when the server does not", "[imap][folders]") {
    const Naming n = naming_of(ns("INBOX.", '.'), Courier);
    const auto all = personal_folders({mb("INBOX.Archive"), mb("INBOX.Sent", '.', {"\\Sent"})}, n);
    REQUIRE(all.size() == 3);
    CHECK(all[0].name == "INBOX");
    CHECK(all[1].display == "Archive");
    CHECK(all[1].role == Role::Archive);
    CHECK(all[2].role == Role::Sent);
    CHECK(skipped_by_all(Role::Sent));
    CHECK_FALSE(skipped_by_all(Role::Inbox));
    CHECK_FALSE(skipped_by_all(Role::None));
}
