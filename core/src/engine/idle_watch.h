#pragma once
// Push for one IMAP account (Account::idle): tells the engine within
// seconds when new mail arrives in any folder the account fetches from, so
// it is checked then instead of at its interval. In order of preference:
//   - NOTIFY (RFC 5465), where offered and more than one folder is
//     watched: one connection, every folder;
//   - otherwise one IDLE (RFC 2177) connection per folder, up to
//     Options::max_connections; the last of them also asks the folders
//     beyond the bound for their counts (STATUS) every Options::poll;
//   - a server without IDLE: one connection asks every folder every poll.
// The folders are the ones a pass fetches (imap::select_folders(), names
// as people see them mapped through NAMESPACE), found again at each
// (re)connection.
//
// IDLE is renewed every 25 minutes (RFC 2177: servers may drop an idle
// client after 30). A lost connection is reopened after a growing delay
// (5 s, 10 s ... 5 min); an authentication failure stops the watch (the
// account's regular passes report it). The watch never fetches or deletes
// anything: passes do, under the rule of architecture.md.
//
// Runs on the caller's io_context thread; stop() ends it promptly.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "mailporter/config.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "net/stream.h"

namespace mailporter {

class SecretStore;

class IdleWatch {
public:
    struct Options {
        std::chrono::seconds renew{25 * 60};
        std::chrono::seconds first_retry{5};
        std::chrono::seconds max_retry{5 * 60};
        // Connections one account's push may hold (a pass needs one more;
        // providers commonly allow 10 or more per user and address).
        std::size_t max_connections = 5;
        // How often folders that are not pushed are asked for their counts.
        std::chrono::seconds poll{60};
        // NOTIFY where the server offers it (off: IDLE per folder, for a
        // server whose NOTIFY misses mail).
        bool notify = true;
        RelayOptions relay;  // log, transcript, timeouts
        // Called (on the io_context's thread) when push() changed.
        std::function<void(std::int64_t)> on_push_changed;
    };
    // on_new_mail(account id) is called on the io_context's thread, also
    // once right after each (re)connect: mail may have arrived while the
    // watch was not connected.
    IdleWatch(boost::asio::io_context& io, Account account, SecretStore& secrets, Options options,
              std::function<void(std::int64_t)> on_new_mail);
    ~IdleWatch();
    IdleWatch(const IdleWatch&) = delete;
    IdleWatch& operator=(const IdleWatch&) = delete;

    void start();
    // Ends the watch (DONE + LOGOUT on every connection); safe to call twice.
    void stop();
    const Account& account() const;
    bool connected() const;  // some folder is pushed or polled now
    PushState push() const;

    struct State;  // shared with the watch coroutines (idle_watch.cpp)

private:
    std::shared_ptr<State> state_;
};

}  // namespace mailporter
