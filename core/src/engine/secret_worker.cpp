#include "engine/secret_worker.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mailporter/relay.h"
#include "mailporter/signin.h"

namespace mailporter::relay_detail {

namespace asio = boost::asio;

namespace {

// The answer travels through a slot the engine side looks at (a short
// backoff): the worker thread never touches the caller's io_context, which
// may be gone by the time a stuck keyring answers.
template <class T>
struct Slot {
    std::mutex mu;
    std::optional<Result<T>> answer;
};

}  // namespace

SecretWorker::SecretWorker(SecretStore& store) : store_(store), in_flight_(std::make_shared<std::atomic<int>>(0)) {}

SecretWorker::~SecretWorker() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (in_flight_->load() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

template <class T, class F>
asio::awaitable<Result<T>> SecretWorker::off_thread(asio::io_context& io, F work, std::chrono::milliseconds timeout,
                                                    std::string_view what) {
    auto slot = std::make_shared<Slot<T>>();
    ++*in_flight_;
    std::thread([work = std::move(work), slot, in_flight = in_flight_]() mutable {
        auto r = work();
        {
            std::lock_guard l(slot->mu);
            slot->answer = std::move(r);
        }
        --*in_flight;
    }).detach();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(io);
    auto wait = std::chrono::milliseconds(0);
    for (;;) {
        {
            std::lock_guard l(slot->mu);
            if (slot->answer) co_return std::move(*slot->answer);
        }
        if (std::chrono::steady_clock::now() >= deadline)
            co_return make_error(Errc::SecretStoreUnavailable,
                                 std::string(what) + " did not answer within " +
                                     std::to_string(std::max<long long>(1, timeout.count() / 1000)) + " s",
                                 ErrorScope::Account, Retry::Later);
        // A file store answers at once; a keyring or a provider may take a while.
        boost::system::error_code ec;
        if (wait.count() == 0) {
            co_await asio::post(io, asio::use_awaitable);
            wait = std::chrono::milliseconds(1);
        } else {
            timer.expires_after(wait);
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            wait = std::min(wait * 2, std::chrono::milliseconds(50));
        }
    }
}

asio::awaitable<Result<std::optional<std::string>>> SecretWorker::load(asio::io_context& io, std::string key,
                                                                       std::chrono::milliseconds timeout) {
    // Only a keyring can keep a caller waiting (for a person to unlock it);
    // a file answers at once and is read in place (which also keeps runs
    // that replay a seed step for step on one thread: tests/sim).
    if (store_.kind() != "keyring") co_return store_.load(key);
    // Named, not a temporary in the co_await: GCC 12 destroys such
    // temporaries twice.
    auto work = [store = &store_, key] { return store->load(key); };
    co_return co_await off_thread<std::optional<std::string>>(io, std::move(work), timeout,
                                                              "the password store (is the keyring locked?)");
}

asio::awaitable<Result<SecretWorker::Credential>> SecretWorker::credential(asio::io_context& io, const Account& account,
                                                                           bool force,
                                                                           std::chrono::milliseconds timeout) {
    if (!account.uses_oauth()) {
        auto pw = co_await load(io, account_secret_key(account.name), timeout);
        if (!pw) co_return pw.error();
        if (!*pw)
            co_return make_error(Errc::SecretMissing,
                                 "no password is stored for account " + account.name + " in the " +
                                     std::string(store_.kind()) + " secret store",
                                 ErrorScope::Account, Retry::Never);
        co_return Credential{std::move(**pw), {}};
    }
    // The provider's token endpoint gets its own HTTP timeout (15 s); the
    // wait covers it and a keyring that asks to be unlocked.
    auto work = [store = &store_, account, force] { return account_access_token(*store, account, force); };
    const auto wait = std::max<std::chrono::milliseconds>(timeout, std::chrono::seconds(40));
    auto token = co_await off_thread<std::string>(io, std::move(work), wait,
                                                  "the sign-in (secret store and the provider's token service)");
    if (!token) co_return token.error();
    co_return Credential{{}, std::move(*token)};
}

asio::awaitable<Result<std::string>> SecretWorker::office_token(asio::io_context& io, const OfficeServer& server,
                                                                bool force, std::chrono::milliseconds timeout) {
    auto work = [store = &store_, server, force] { return office_access_token(*store, server, force); };
    const auto wait = std::max<std::chrono::milliseconds>(timeout, std::chrono::seconds(40));
    auto token = co_await off_thread<std::string>(io, std::move(work), wait,
                                                  "the office server's sign-in (secret store and token service)");
    if (!token) {
        auto e = std::move(token).error();
        e.scope = ErrorScope::Server;
        co_return e;
    }
    co_return token;
}

}  // namespace mailporter::relay_detail
