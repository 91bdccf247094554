#pragma once
// An SMTP client session (RFC 5321, 3207, 4954, 1870, 6152, 2920) to the
// office server, over net::Stream. One connection carries a whole pass:
// transaction after transaction, RSET between failures.
//
// Used by one coroutine at a time on the engine thread. AUTH lines are
// redacted in the transcript.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/stream.h"
#include "proto/session_base.h"
#include "proto/dot_codec.h"
#include "proto/smtp_parser.h"

namespace mailporter::smtp {

enum class State { Disconnected, Greeting, Ehlo, StartTls, Auth, Ready, InData, Closed, Failed };
std::string_view to_string(State s);

struct ConnectOptions {
    std::string host;
    std::uint16_t port = 25;
    TlsSettings tls;
    std::string helo_name;
    std::string user;  // empty: no AUTH
    std::string password;
    std::string bearer;  // an OAuth2 access token: AUTH OAUTHBEARER / XOAUTH2 instead of the password
    net::Deadlines deadlines;
    // RFC 5321 §4.5.3.2.6 "DATA Termination: 10 minutes": the server may
    // scan and queue the message before it answers the final dot; giving up
    // earlier would leave a delivered message remote and send it again.
    std::chrono::milliseconds data_end{std::chrono::minutes(10)};
};

struct RecipientOutcome {
    std::string address;
    Reply reply;
};

// What MAIL/RCPT/DATA answered for one transaction.
struct Envelope {
    Reply mail;
    std::vector<RecipientOutcome> recipients;
    std::optional<RecipientOutcome> fallback;  // added when a recipient was refused for good
    Reply data;                                // 354 when the body may follow
    bool accepted() const { return data.code == 354; }
    std::size_t accepted_count() const;
};

class Session : public proto::SessionBase<State> {
public:
    static constexpr std::size_t MaxLine = 4096;
    static constexpr std::size_t WriteBuffer = 64 * 1024;

    explicit Session(boost::asio::io_context& io, net::Transcript transcript = {});
    ~Session();

    // Greeting, EHLO (HELO when EHLO is refused), STARTTLS when the mode
    // requires it (never a fallback), EHLO again, AUTH when a user is set.
    net::awaitable<Result<void>> connect(const ConnectOptions& options);

    // MAIL FROM, one RCPT per recipient, DATA — pipelined when the server
    // offers PIPELINING. When no recipient is accepted, or MAIL is refused,
    // the transaction is reset and the envelope says why; the session stays
    // usable. An Error is returned only when the connection is unusable.
    // With a fallback address, the RCPT replies are read before DATA, and the
    // fallback is added when some recipient was refused with 5xx (one more
    // round trip, only for such messages' senders: catch-all boxes).
    net::awaitable<Result<Envelope>> begin(const std::string& from, const std::vector<std::string>& recipients,
                                           std::optional<std::uint64_t> size, bool body_8bit,
                                           const std::string& fallback = {});
    // Body bytes, exactly as downloaded: CRLF normalisation and dot-stuffing
    // happen here. Buffered; flushed in WriteBuffer pieces.
    net::awaitable<Result<void>> send_body(std::string_view chunk);
    // The final "." and the server's verdict. A lost connection here means
    // "not delivered" (RFC 5321 §4.1.1.4: the server is responsible only
    // after it replied).
    net::awaitable<Result<Reply>> end_body();
    // Abandons a transaction in DATA: the connection cannot be reused (the
    // server would take any terminator as the end), so it is closed.
    void abandon_body();
    net::awaitable<Result<void>> rset();
    net::awaitable<Result<void>> quit();
    // Asks whether the server would take mail for each address: MAIL FROM
    // `from`, one RCPT at a time, then RSET. No DATA, nothing delivered.
    net::awaitable<Result<Envelope>> check_recipients(const std::string& from,
                                                      const std::vector<std::string>& recipients);

    const EhloCaps& capabilities() const { return caps_; }
    // True when the login (AUTH) went over a connection without TLS.
    bool authenticated_in_clear() const { return auth_in_clear_; }
    const Reply& greeting() const { return greeting_; }
    bool usable() const { return state_ == State::Ready; }

private:
    net::awaitable<Result<void>> send(std::string_view line, std::string_view shown = {});
    net::awaitable<Result<void>> flush();
    net::awaitable<Result<Reply>> read_reply();
    // begin()'s three ways to send the envelope and DATA; the replies go to `env`.
    net::awaitable<Result<void>> begin_with_fallback(Envelope& env, const std::string& mail,
                                                     const std::vector<std::string>& rcpt_lines,
                                                     const std::vector<std::string>& recipients,
                                                     const std::string& fallback, const std::string& fb_line);
    net::awaitable<Result<void>> begin_pipelined(Envelope& env, const std::string& mail,
                                                 const std::vector<std::string>& rcpt_lines,
                                                 const std::vector<std::string>& recipients);
    net::awaitable<Result<void>> begin_one_by_one(Envelope& env, const std::string& mail,
                                                  const std::vector<std::string>& rcpt_lines,
                                                  const std::vector<std::string>& recipients);
    net::awaitable<Result<void>> ehlo();
    net::awaitable<Result<void>> authenticate(const ConnectOptions& o);
    net::awaitable<Result<void>> authenticate_bearer(const ConnectOptions& o);

    EhloCaps caps_;
    Reply greeting_;
    std::string helo_name_;
    std::chrono::milliseconds data_end_{std::chrono::minutes(10)};
    bool wipe_out_ = false;  // out_ holds a secret until the next flush
    bool auth_in_clear_ = false;
    std::string out_;
    DataEncoder encoder_;
};

// Classifies a refusal into an Error (4xx: try later, 5xx: never).
Error reply_error(std::string_view step, const Reply& r, ErrorScope scope);

}  // namespace mailporter::smtp
