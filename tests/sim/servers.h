#pragma once
// The three scripted servers over the World. Fault verbs each passes to
// FaultBook::on_command:
//   POP3: GREETING CAPA USER PASS UIDL LIST RETR DELE QUIT (and others by name)
//   IMAP: GREETING CAPABILITY LOGIN (also AUTHENTICATE) LIST SELECT FETCHLIST
//         FETCHBODY FETCHMID STORE EXPUNGE (also UID EXPUNGE) SEARCH LOGOUT
//   SMTP: GREETING EHLO MAIL RCPT DATA DOT (the end of the data) RSET QUIT
// The office tags a transaction with its sender's local part ("s12").

#include "sim/server.h"

namespace mailporter::sim {

// POP3 (RFC 1939): DELE only marks; QUIT applies; a connection that ends any
// other way deletes nothing.
class Pop3Server final : public Server {
public:
    Pop3Server(asio::io_context& io, World& world, FaultBook& faults, int box) : Server(io, world, faults, box) {}

protected:
    awaitable<void> session(Conn& c) override;
};

// IMAP4rev1 with UIDPLUS on or off per box: STORE \Deleted persists, EXPUNGE
// removes every flagged message of the folder, UID EXPUNGE only the listed.
class ImapServer final : public Server {
public:
    ImapServer(asio::io_context& io, World& world, FaultBook& faults, int box) : Server(io, world, faults, box) {}

protected:
    awaitable<void> session(Conn& c) override;
};

// The office server: records every transaction it accepted in World::office.
class SmtpServer final : public Server {
public:
    SmtpServer(asio::io_context& io, World& world, FaultBook& faults) : Server(io, world, faults, OfficeId) {}

protected:
    awaitable<void> session(Conn& c) override;
};

// The sender tag of a MAIL FROM address: its local part when it looks like
// "s<digits>", else "".
std::string sender_tag(const std::string& address);

}  // namespace mailporter::sim
