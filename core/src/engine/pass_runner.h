#pragma once
// Account passes on a caller-owned io_context: what poll() and the engine
// facade both stand on. Several passes may run at once (one coroutine each);
// they share the group commits and the office connection budget. Not
// thread-safe: every call on the io_context's thread.

#include <memory>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "mailporter/config.h"
#include "mailporter/relay.h"
#include "net/stream.h"

namespace mailporter {

class Database;
class SecretStore;

namespace relay_detail {
struct Shared;
}

class PassRunner {
public:
    PassRunner(boost::asio::io_context& io, Database& db, SecretStore& secrets, RelayOptions options);
    ~PassRunner();
    PassRunner(const PassRunner&) = delete;
    PassRunner& operator=(const PassRunner&) = delete;

    // One account's pass. When it ends its deliveries are committed and the
    // pass is recorded (Database::record_pass) and logged. The caller keeps
    // an account from running twice at once (the Scheduler does).
    net::awaitable<PassReport> run(Account account);
    // Commits whatever is pending (before shutdown).
    void flush();

private:
    void record(const Account& account, const PassReport& r);

    RelayOptions options_;
    std::unique_ptr<relay_detail::Shared> shared_;
};

}  // namespace mailporter
