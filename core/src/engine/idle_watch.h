#pragma once
// IMAP IDLE push for one account: keeps a connection to the account's first
// folder idling and calls on_new_mail when the server announces mail, so the
// engine checks that account within seconds instead of at its interval.
// IDLE is renewed every 25 minutes (RFC 2177: servers may drop an idle
// client after 30). A lost connection is reopened after a growing delay
// (5 s, 10 s ... 5 min); an authentication failure stops the watch (the
// account's regular passes report it). The watcher never fetches or deletes
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
        RelayOptions relay;  // log, transcript, timeouts
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
    // Ends the watch (DONE + LOGOUT when connected); safe to call twice.
    void stop();
    const Account& account() const;
    bool connected() const;  // idling now

    struct State;  // shared with the watch coroutine (idle_watch.cpp)

private:
    std::shared_ptr<State> state_;
};

}  // namespace mailporter
