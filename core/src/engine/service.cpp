#include "mailporter/service.h"

#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

#include "engine/scheduler.h"
#include "mailporter/database.h"
#include "mailporter/status.h"

namespace mailporter {

Result<void> run_service(Database& db, SecretStore& secrets, const ServiceOptions& options) {
    using Clock = std::chrono::steady_clock;
    Scheduler scheduler;
    std::string last_check_now;
    if (auto c = db.setting(SettingCheckNow); c && *c) last_check_now = **c;

    while (!options.stop_requested || !options.stop_requested()) {
        const auto now = Clock::now();
        // What other processes changed since the last round.
        auto accounts = db.accounts();
        if (!accounts) return std::move(accounts).error();
        scheduler.set_accounts(*accounts);
        if (auto d = db.setting(SettingDefaultInterval); d && *d)
            scheduler.set_default_interval(std::chrono::minutes(std::max(1, std::atoi((*d)->c_str()))));
        const bool paused = [&] {
            auto p = db.setting(SettingPaused);
            return p && *p && **p == "1";
        }();
        if (paused && !scheduler.paused()) scheduler.pause();
        if (!paused && scheduler.paused()) scheduler.resume(now);
        if (auto c = db.setting(SettingCheckNow); c && *c && **c != last_check_now) {
            last_check_now = **c;
            scheduler.check_now(now);
        }

        const auto due = scheduler.take_due(now);
        if (!due.empty()) {
            std::map<std::int64_t, const Account*> by_id;
            for (const auto& a : *accounts) by_id[a.id] = &a;
            std::vector<Account> batch;
            for (auto id : due)
                if (by_id.count(id)) batch.push_back(*by_id[id]);
            const auto reports = poll(db, secrets, batch, options.relay);
            const auto done = Clock::now();
            for (std::size_t i = 0; i < batch.size(); ++i)
                scheduler.finished(batch[i].id, account_status(reports[i]), pass_retry(reports[i]), done);
            // Accounts taken but gone from the configuration meanwhile.
            for (auto id : due)
                if (!by_id.count(id)) scheduler.finished(id, Status{}, Retry::Now, done);
            if (options.on_pass) options.on_pass(reports);
            continue;  // look again at once: more may be due
        }
        // Sleep until the next account is due, at most a second (to pick up
        // changes), in steps that keep the stop request answered quickly.
        auto until = now + std::chrono::seconds(1);
        if (auto w = scheduler.next_wakeup(now); w && *w < until) until = *w;
        while (Clock::now() < until && (!options.stop_requested || !options.stop_requested()))
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min<long>(
                100, std::max<long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count()))));
    }
    return {};
}

}  // namespace mailporter
