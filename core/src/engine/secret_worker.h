#pragma once
// Reads passwords off the engine thread. A desktop keyring that is locked
// answers only after a person unlocks it (or never); the engine thread must
// keep running meanwhile (status, commands, IDLE, the other accounts). Each
// keyring load runs on a short-lived thread of its own (a file store is read
// in place: it answers at once); its answer comes back
// through a shared slot the caller's coroutine looks at, or a timeout does
// (Errc::SecretStoreUnavailable, tried again later).
//
// Loads may run concurrently: the file store reads its file afresh on every
// load and libsecret is thread-safe. A load still stuck in the keyring when
// the worker goes away is left behind (its answer goes nowhere); the
// destructor waits a moment for the others.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio (GCC 12)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "mailporter/config.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"

namespace mailporter::relay_detail {

class SecretWorker {
public:
    explicit SecretWorker(SecretStore& store);
    ~SecretWorker();
    SecretWorker(const SecretWorker&) = delete;
    SecretWorker& operator=(const SecretWorker&) = delete;

    boost::asio::awaitable<Result<std::optional<std::string>>> load(boost::asio::io_context& io, std::string key,
                                                                    std::chrono::milliseconds timeout);

    // What an account signs in with: its password, or for an OAuth2 account
    // a current access token (refreshed first when due, or when `force`:
    // the server refused the last one). The token work (secret store, HTTPS
    // to the provider) always runs on a thread of its own.
    struct Credential {
        std::string password;
        std::string bearer;
    };
    boost::asio::awaitable<Result<Credential>> credential(boost::asio::io_context& io, const Account& account,
                                                          bool force, std::chrono::milliseconds timeout);

    // A current access token for the office server's OAuth2 login.
    boost::asio::awaitable<Result<std::string>> office_token(boost::asio::io_context& io, const OfficeServer& server,
                                                             bool force, std::chrono::milliseconds timeout);

private:
    template <class T, class F>
    boost::asio::awaitable<Result<T>> off_thread(boost::asio::io_context& io, F work, std::chrono::milliseconds timeout,
                                                 std::string_view what);

    SecretStore& store_;
    std::shared_ptr<std::atomic<int>> in_flight_;
};

}  // namespace mailporter::relay_detail
