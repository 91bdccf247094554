#pragma once
// Reads passwords off the engine thread. A desktop keyring that is locked
// answers only after a person unlocks it (or never); the engine thread must
// keep checking the other accounts meanwhile. One worker thread takes the
// requests in order; an answer comes back on the caller's io_context, or a
// timeout does (Errc::SecretStoreUnavailable, retried later).
//
// The store is used only from the worker thread while requests are in
// flight; callers that use it synchronously hold mutex(). When the worker is
// stuck in the keyring at destruction it is detached: its answer goes
// nowhere.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>  // before Asio (GCC 12)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

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
    // For callers that use the store directly (engine commands).
    std::mutex& mutex();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace mailporter::relay_detail
