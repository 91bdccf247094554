#pragma once
// A scripted IMAP4rev1 server with several folders (special-use roles,
// UIDVALIDITY, UIDPLUS or not), on the FakeServer of fake_server.h: enough of
// RFC 3501 for MailPorter's relay (LIST, SELECT, UID FETCH listing and bodies,
// UID STORE, UID EXPUNGE / EXPUNGE, UID SEARCH) and a log of what was removed.
// Thread-safe like the other fakes.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scripted/fake_server.h"

namespace mailporter::test {

struct ImapMessage {
    std::uint32_t uid = 0;
    std::string content;
    bool deleted = false;
    bool seen = false;
};

struct ImapFolder {
    std::string name;
    std::string special_use;  // "\\Trash", "\\Junk", ... or ""
    std::uint32_t uidvalidity = 1;
    std::uint32_t uidnext = 1;
    std::vector<ImapMessage> messages;
};

struct ImapRemoval {
    std::string folder;
    std::uint32_t uid = 0;
    std::string content;
};

class FakeImap {
public:
    FakeImap();

    std::uint16_t port() const { return server_.port(); }
    FakeServer& server() { return server_; }

    // Adds a folder (empty) or a message to a folder (the next UID).
    void add_folder(const std::string& name, const std::string& special_use = {});
    std::uint32_t add(const std::string& folder, std::string content);
    // Renumbers a folder: a new UIDVALIDITY, every UID anew from 1.
    void renumber(const std::string& folder);
    void set_uidplus(bool on);
    // The next UID FETCH 1:* listing of any folder returns nothing (a glitch).
    void empty_listing_once();

    std::vector<ImapRemoval> removed() const;  // expunged, in order
    std::size_t count(const std::string& folder) const;
    std::vector<std::string> selected() const;  // folders SELECTed, in order

private:
    void session(FakeConnection& c);

    mutable std::mutex mu_;
    std::vector<ImapFolder> folders_;
    std::vector<ImapRemoval> removed_;
    std::vector<std::string> selected_;
    bool uidplus_ = true;
    bool empty_once_ = false;
    std::uint32_t next_validity_ = 100;
    FakeServer server_;  // last: its threads use the members above
};

}  // namespace mailporter::test
