#include "engine/secret_worker.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailporter::relay_detail {

namespace asio = boost::asio;

namespace {

// The answer travels through a slot the engine side looks at (a short
// backoff): the load thread never touches the caller's io_context, which
// may be gone by the time a stuck keyring answers.
struct Slot {
    std::mutex mu;
    std::optional<Result<std::optional<std::string>>> answer;
};

}  // namespace

SecretWorker::SecretWorker(SecretStore& store) : store_(store), in_flight_(std::make_shared<std::atomic<int>>(0)) {}

SecretWorker::~SecretWorker() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (in_flight_->load() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

asio::awaitable<Result<std::optional<std::string>>> SecretWorker::load(asio::io_context& io, std::string key,
                                                                       std::chrono::milliseconds timeout) {
    // Only a keyring can keep a caller waiting (for a person to unlock it);
    // a file answers at once and is read in place (which also keeps runs
    // that replay a seed step for step on one thread: tests/sim).
    if (store_.kind() != "keyring") co_return store_.load(key);
    auto slot = std::make_shared<Slot>();
    ++*in_flight_;
    std::thread([store = &store_, key, slot, in_flight = in_flight_] {
        auto r = store->load(key);
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
                                 "the password store did not answer within " +
                                     std::to_string(std::max<long long>(1, timeout.count() / 1000)) +
                                     " s (is the keyring locked?)",
                                 ErrorScope::Account, Retry::Later);
        // A file store answers at once; a keyring may take a while.
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

}  // namespace mailporter::relay_detail
