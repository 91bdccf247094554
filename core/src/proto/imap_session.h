#pragma once
// An IMAP4rev1 client session (RFC 3501; STARTTLS RFC 2595/8314, SASL-IR
// RFC 4959, UIDPLUS RFC 4315, IDLE RFC 2177, LITERAL+ RFC 7888) over
// net::Stream, for fetching mail: log in, pick a folder, list its messages
// by UID, stream them out, flag/expunge what was delivered.
//
// Threading: one coroutine drives a session at a time, on the engine thread.
// Every I/O step has the stream's deadline. The password never reaches the
// transcript: LOGIN and AUTHENTICATE lines are logged redacted.
//
// Security (reliability-cases.md A): with TlsMode::StartTls the upgrade is
// required (no fallback), untagged data received before the tagged STARTTLS
// reply is discarded unread, capabilities are asked again after TLS, and a
// PREAUTH greeting on a connection that still has to be upgraded is refused
// (fetchmail CVE-2021-39272). Referrals (RFC 2221) are reported, never
// followed. Messages are only ever addressed by UID.
//
// Memory: status and untagged lines are bounded by MaxLine (Errc::LineTooLong
// beyond); message bodies are streamed to the caller in chunks of at most
// MaxChunk bytes and never held whole.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "net/stream.h"
#include "proto/imap_folders.h"
#include "proto/chunk_sink.h"
#include "proto/imap_parser.h"
#include "proto/session_base.h"

namespace mailporter::imap {

enum class State {
    Disconnected,
    Greeting,
    StartTls,
    NotAuthenticated,
    Authenticated,
    Selected,
    Idling,
    Logout,
    Closed,
    Failed
};
std::string_view to_string(State s);

struct Credentials {
    std::string user;
    std::string password;
    // An OAuth2 access token: when set, login() uses AUTHENTICATE
    // OAUTHBEARER or XOAUTH2 only (never the password).
    std::string bearer;
};

struct Capabilities {
    bool imap4rev1 = false;
    bool starttls = false;
    bool logindisabled = false;
    bool uidplus = false;
    bool idle = false;
    bool literal_plus = false;  // LITERAL+ (RFC 7888); LITERAL- is not used
    bool sasl_ir = false;
    bool move = false;
    bool namespaces = false;        // NAMESPACE (RFC 2342)
    bool notify = false;            // NOTIFY (RFC 5465)
    std::vector<std::string> sasl;  // AUTH=... mechanisms, upper-cased, in order
    std::vector<std::string> all;   // every capability as sent (upper-cased)
};

struct SelectInfo {
    std::uint32_t exists = 0;
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 0;  // 0: the server did not say
    bool read_only = false;
};

struct MessageInfo {
    std::uint32_t uid = 0;
    std::uint64_t size = 0;          // RFC822.SIZE
    std::int64_t internal_date = 0;  // unix seconds (UTC); 0 when not sent or unparsable
    bool seen = false;
    bool deleted = false;
};

// The chunk consumer for read_fetched().
using proto::ChunkSink;

class Session : public proto::SessionBase<State> {
public:
    static constexpr std::size_t MaxLine = 64 * 1024;   // one response line, literals excluded
    static constexpr std::size_t MaxChunk = 64 * 1024;  // largest chunk handed to a ChunkSink
    // Bound of a literal that is not a message body (mailbox names, header
    // fields, SASL data): bigger ones are a protocol error.
    static constexpr std::size_t MaxSmallLiteral = 64 * 1024;
    // A command line (with the UID set) stays below this many bytes; longer
    // sets are split over several commands. RFC 7162 §4 recommends clients
    // keep lines under 8192 octets.
    static constexpr std::size_t MaxCommandLine = 8000;
    // One whole response with its inline literals.
    static constexpr std::size_t MaxResponse = 256 * 1024;
    // Messages one listing may hold (about 100 MB of memory at most).
    static constexpr std::size_t MaxListed = 2'000'000;

    explicit Session(boost::asio::io_context& io, net::Transcript transcript = {});
    ~Session();

    // Connects, reads the greeting (OK / PREAUTH / BYE), learns the
    // capabilities (from the greeting's [CAPABILITY] code or by asking) and,
    // for TlsMode::StartTls, upgrades with STARTTLS (required, no fallback) and
    // asks CAPABILITY again. A PREAUTH greeting while TLS is still required is
    // Errc::TlsNotOffered (nothing is sent). After PREAUTH (on TLS or with
    // TlsMode::None) the state is Authenticated and login() is a no-op.
    net::awaitable<Result<void>> connect(const std::string& host, std::uint16_t port, const TlsSettings& tls,
                                         const net::Deadlines& deadlines);
    // AUTHENTICATE PLAIN when offered (SASL-IR when offered, else via the
    // continuation), otherwise LOGIN with astring quoting (a literal for CR,
    // LF or 8-bit bytes). LOGINDISABLED (and no PLAIN) is Errc::AuthUnsupported
    // naming TLS. Refusals are Errc::AuthFailed (Retry::Never), except
    // [UNAVAILABLE]/[INUSE]/[SERVERBUG]/[LIMIT] (Errc::AuthTemporary, later).
    // A [REFERRAL] is Errc::AuthFailed naming the referral; it is not followed.
    net::awaitable<Result<void>> login(const Credentials& credentials);

    // LIST reference pattern. Entries in server order. (The strings are taken
    // by value: a coroutine must not keep references to a caller's
    // temporaries, which GCC 12 may destroy early.)
    net::awaitable<Result<std::vector<MailboxInfo>>> list(std::string reference = "", std::string pattern = "*");
    // NAMESPACE when the server offers it: its personal namespaces (prefix
    // and delimiter). Without the capability, or when the server refuses
    // the command: an empty list, nothing sent in the first case.
    net::awaitable<Result<NamespaceData>> namespaces();
    // NOTIFY SET (mailboxes (...) (MessageNew MessageExpunge)) (RFC 5465):
    // the server then reports new mail in those mailboxes with untagged
    // STATUS responses, which idle() watches. A refusal is
    // Errc::ProtocolError, Retry::Never (the caller watches otherwise).
    net::awaitable<Result<void>> notify_set(std::vector<std::string> mailboxes);
    // The folders an account names (Account::folders: empty or {"INBOX"}
    // for the inbox alone, "*" for every personal folder) as this server
    // names them: NAMESPACE, LIST, then select_folders(). The inbox alone
    // costs no command.
    net::awaitable<Result<Selection>> find_folders(std::vector<std::string> wanted);
    // STATUS mailbox (MESSAGES UIDNEXT UIDVALIDITY): a folder's counts
    // without selecting it. A NO is Errc::MailboxUnavailable, ErrorScope::Mailbox.
    net::awaitable<Result<StatusData>> status(std::string mailbox);
    // SELECT (or EXAMINE when read_only). A NO is Errc::MailboxUnavailable
    // with ErrorScope::Mailbox. A mailbox without UIDVALIDITY is a protocol
    // error: UIDs cannot be tracked across sessions without it.
    // With list_behind, the message listing (list_messages()) goes out right
    // behind the SELECT, in the same round trip, when no folder is selected
    // yet (the first folder of a session): a server that ran the two out of
    // order could then only refuse the listing, never answer it for another
    // folder (RFC 3501 §5.5 leaves servers that freedom). list_messages()
    // must come next.
    net::awaitable<Result<SelectInfo>> select(std::string mailbox, bool read_only = false, bool list_behind = false);
    // UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS) of the selected
    // mailbox, sorted by UID, duplicates merged. An empty mailbox sends no
    // FETCH. FETCH data without a UID is ignored.
    net::awaitable<Result<std::vector<MessageInfo>>> list_messages();
    // UID FETCH <set> (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]): uid ->
    // Message-ID header value (unfolded, trimmed; "" when absent). UIDs the
    // server did not return are missing from the map.
    net::awaitable<Result<std::map<std::uint32_t, std::string>>> fetch_message_ids(
        const std::vector<std::uint32_t>& uids);

    // Sends UID FETCH uid (UID BODY.PEEK[]) without waiting: several may be in
    // flight. read_fetched() must be called once per send_fetch(), in order.
    net::awaitable<Result<void>> send_fetch(std::uint32_t uid);
    // Reads the responses to the oldest send_fetch(): streams the message
    // literal to sink in chunks of at most MaxChunk bytes and returns its size.
    // - message vanished (no body before the tagged OK/NO): Errc::MailboxUnavailable,
    //   ErrorScope::Message; the session stays usable;
    // - larger than max_bytes (0: no bound), or the sink returned an error:
    //   that error; the rest of the literal is read and discarded, the session
    //   stays usable;
    // - connection lost or protocol error mid-literal: that error, the session
    //   is Failed and nothing more reaches the sink — the caller must treat
    //   what the sink received as incomplete.
    net::awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes = 0);
    std::size_t fetches_in_flight() const { return pending_fetches_.size(); }

    // UID STORE <set> +FLAGS.SILENT (\Deleted), then UID EXPUNGE <set> with
    // UIDPLUS. Without UIDPLUS a plain EXPUNGE, but only when no other message
    // of the folder is flagged \Deleted (see the .cpp); otherwise the expunge
    // is deferred: expunge_deferred() is true and the flagged uids are
    // returned (deleted for good at the next expunge, like POP3 DELE before
    // QUIT). Returns the uids confirmed, sorted: whose STORE was accepted and
    // that a UID SEARCH after the expunge no longer finds (a uid that was not
    // there in the first place counts as deleted).
    net::awaitable<Result<std::vector<std::uint32_t>>> delete_messages(const std::vector<std::uint32_t>& uids);
    bool expunge_deferred() const { return expunge_deferred_; }
    // UID STORE <set> +FLAGS.SILENT (\Seen).
    net::awaitable<Result<void>> mark_seen(const std::vector<std::uint32_t>& uids);

    // IDLE (RFC 2177) on the selected mailbox, or with NOTIFY set in the
    // authenticated state. Returns true when new mail is announced (EXISTS
    // above the count known so far, RECENT > 0, or an unasked STATUS with a
    // UIDNEXT above the one last seen for its mailbox), false
    // when max_wait passed or cancel() returned true (polled every 200 ms).
    // In every case DONE is sent and the tagged OK consumed before
    // returning. Without the IDLE capability: Errc::ProtocolError, nothing sent.
    net::awaitable<Result<bool>> idle(std::chrono::seconds max_wait, std::function<bool()> cancel = {});
    // LOGOUT; the server's BYE and tagged OK are read (unless !wait: when
    // every command was answered there is nothing left to learn), then the
    // connection is closed. Harmless on a session that is already closed or failed.
    net::awaitable<Result<void>> logout(bool wait = true);

    const Capabilities& capabilities() const { return caps_; }
    const std::string& greeting() const { return greeting_; }
    // What login method was used ("LOGIN", "AUTHENTICATE PLAIN", "PREAUTH").
    const std::string& auth_method() const { return auth_method_; }
    const SelectInfo& selected() const { return selected_; }
    // The last [ALERT] text the server sent (RFC 3501 §7.1: must be shown to
    // the user), sanitised; empty if none.
    const std::string& alert() const { return alert_; }

private:
    struct IdleWatch;
    struct FetchRead;
    using UntaggedHandler = std::function<Result<void>(const Response&)>;
    // Called for a literal over MaxSmallLiteral with the response text before
    // it; must read exactly `size` bytes (stream_literal).
    using LargeLiteralHandler = std::function<net::awaitable<Result<void>>(std::string_view head, std::uint64_t size)>;

    std::string next_tag();
    net::awaitable<Result<void>> send(std::string_view line, std::string_view shown = {});
    // Reads one whole response and parses it. Literals up to MaxSmallLiteral
    // are kept inline; larger ones go to `large` (a protocol error without).
    net::awaitable<Result<Response>> read_response(const LargeLiteralHandler* large = nullptr);
    // Reads `size` literal bytes, handing them to *sink in chunks of at most
    // MaxChunk unless sink is null or sink_error is set (then they are
    // dropped; a sink error is stored in sink_error).
    net::awaitable<Result<void>> stream_literal(std::uint64_t size, const ChunkSink* sink,
                                                std::optional<Error>& sink_error);
    // Reads responses until the tagged one for `tag`; untagged ones get the
    // session's bookkeeping (note_untagged), then go to on_untagged. BYE fails
    // the session (except in State::Logout).
    net::awaitable<Result<Response>> run_until_tagged(const std::string& tag, const UntaggedHandler& on_untagged);
    net::awaitable<Result<Response>> command(const std::string& line, const UntaggedHandler& on_untagged = {});
    // `verb` followed by each argument as an astring (atom, quoted or
    // literal); `shown` (after the tag) goes to the transcript instead.
    net::awaitable<Result<Response>> command_with_args(const std::string& verb, const std::vector<std::string>& args,
                                                       const std::string& shown, const UntaggedHandler& on_untagged);
    // true on "+"; false when the tagged reply came instead (in pending_tagged_).
    net::awaitable<Result<bool>> wait_continuation(const std::string& tag, const UntaggedHandler& on_untagged);
    // What may arrive at any time (RFC 3501 §7): ALERT, CAPABILITY, EXISTS, EXPUNGE.
    Result<void> note_untagged(const Response& r);
    void apply_capabilities(const std::vector<std::string>& caps);
    net::awaitable<Result<void>> read_capabilities();
    Result<void> check_greeting(const Response& greeting, bool must_upgrade);
    net::awaitable<Result<void>> upgrade_to_tls();
    // AUTHENTICATE with an initial response (SASL-IR when offered, else
    // after the first continuation; `response` is wiped). A later
    // continuation is answered with what `challenge` returns (or ends the
    // session with its error). The tagged reply, whatever its status.
    using Challenge = std::function<Result<std::string>(const Response&)>;
    net::awaitable<Result<Response>> authenticate(const std::string& mech, std::string response,
                                                  const Challenge& challenge);
    net::awaitable<Result<void>> auth_plain(const Credentials& c);
    net::awaitable<Result<void>> auth_login(const Credentials& c);
    net::awaitable<Result<void>> auth_bearer(const Credentials& c);
    net::awaitable<Result<std::vector<std::uint32_t>>> store_flags(const std::vector<std::uint32_t>& uids,
                                                                   std::string_view flag);
    net::awaitable<Result<std::vector<std::uint32_t>>> search_uids(const std::string& criteria);
    // read_fetched()'s parts: a later pipelined fetch is waiting; a streamed
    // literal (ours, or read and dropped); an untagged FETCH response.
    bool is_later_fetch(std::uint32_t uid) const;
    net::awaitable<Result<void>> stream_fetched(FetchRead& f, std::string_view head, std::uint64_t size);
    net::awaitable<void> take_fetch_data(FetchRead& f, const FetchData& data);
    static net::awaitable<void> idle_watch(std::shared_ptr<IdleWatch> w);
    net::awaitable<void> send_done(std::shared_ptr<IdleWatch> w);
    Error login_error(const Response& tagged, std::string_view method);
    Error closed_error(const Response& bye);

    net::Deadlines deadlines_;
    std::string host_;  // for OAUTHBEARER's host and port
    std::uint16_t port_ = 0;
    Capabilities caps_;
    bool caps_known_ = false;
    std::string greeting_;
    std::string auth_method_;
    std::string alert_;
    SelectInfo selected_;
    std::uint32_t tag_counter_ = 0;
    bool expunge_deferred_ = false;
    std::optional<Response> pending_tagged_;
    std::optional<Response> login_ok_;
    std::shared_ptr<IdleWatch> idle_watch_;
    std::deque<std::pair<std::string, std::uint32_t>> pending_fetches_;  // tag, uid
    std::string listing_tag_;  // the listing sent behind the SELECT, not read yet
    // Fetches whose message was read completely but whose tagged reply has
    // not arrived yet: servers (Dovecot) send the bodies of pipelined
    // fetches before the earlier tagged OKs. Those replies are consumed
    // wherever they turn up.
    std::set<std::string> answered_fetch_tags_;
    // Bodies of later pipelined fetches that arrived out of order and were
    // dropped (memory stays bounded): read_fetched() reports them skipped.
    std::set<std::uint32_t> dropped_uids_;
    // UIDNEXT last seen per mailbox in unasked STATUS responses (NOTIFY):
    // an expunge reported that way is no new mail.
    std::map<std::string, std::uint32_t> status_uidnext_;
};

}  // namespace mailporter::imap
