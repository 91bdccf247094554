#include "engine/secret_worker.h"

#include <algorithm>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailporter::relay_detail {

namespace asio = boost::asio;

// The answer travels through a shared slot the engine side looks at (a
// short backoff): the worker never touches the caller's io_context, which
// may be gone by the time a stuck keyring answers.
struct Slot {
    std::mutex mu;
    std::optional<Result<std::optional<std::string>>> answer;
};

struct SecretWorker::State {
    explicit State(SecretStore& s) : store(&s) {}
    SecretStore* store;
    std::mutex store_mu;  // held while the store is used
    std::mutex mu;        // the queue
    std::condition_variable cv;
    std::deque<std::pair<std::string, std::shared_ptr<Slot>>> queue;
    bool stop = false;
    bool busy = false;
    std::thread thread;

    void run() {
        for (;;) {
            std::pair<std::string, std::shared_ptr<Slot>> job;
            {
                std::unique_lock lock(mu);
                cv.wait(lock, [this] { return stop || !queue.empty(); });
                if (stop) return;
                job = std::move(queue.front());
                queue.pop_front();
                busy = true;
            }
            Result<std::optional<std::string>> r = std::optional<std::string>{};
            {
                std::lock_guard s(store_mu);
                r = store->load(job.first);
            }
            {
                std::lock_guard l(job.second->mu);
                job.second->answer = std::move(r);
            }
            std::lock_guard lock(mu);
            busy = false;
        }
    }
};

SecretWorker::SecretWorker(SecretStore& store) : state_(std::make_shared<State>(store)) {
    state_->thread = std::thread([s = state_] { s->run(); });
}

SecretWorker::~SecretWorker() {
    bool stuck = false;
    {
        std::lock_guard lock(state_->mu);
        state_->stop = true;
        stuck = state_->busy;
    }
    state_->cv.notify_all();
    if (stuck) state_->thread.detach();  // in the keyring; its answer goes nowhere
    else state_->thread.join();
}

std::mutex& SecretWorker::mutex() { return state_->store_mu; }

asio::awaitable<Result<std::optional<std::string>>> SecretWorker::load(asio::io_context& io, std::string key,
                                                                       std::chrono::milliseconds timeout) {
    auto slot = std::make_shared<Slot>();
    {
        std::lock_guard lock(state_->mu);
        state_->queue.emplace_back(std::move(key), slot);
    }
    state_->cv.notify_one();
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
                                 "the password store did not answer within " + std::to_string(timeout.count() / 1000) +
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
