// The engine facade: one thread, one io_context, the Scheduler deciding,
// PassRunner doing, IdleWatch nudging; see engine.h for the contract.
#include <utility>  // before Asio (GCC 12)

#include "engine/engine_impl.h"

#ifndef _WIN32
#include <sys/resource.h>
#endif
#include <cstdlib>

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "ascii.h"
#include "mailporter/relay.h"
#include "mailporter/service.h"
#include "mailporter/settings.h"

namespace mailporter {

namespace asio = boost::asio;

std::vector<std::pair<std::int64_t, std::int64_t>> parse_next_checks(std::string_view value) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    std::size_t pos = 0;
    while (pos < value.size()) {
        auto end = value.find(',', pos);
        if (end == std::string_view::npos) end = value.size();
        const auto item = value.substr(pos, end - pos);
        const auto eq = item.find('=');
        if (eq != std::string_view::npos) {
            try {
                out.emplace_back(std::stoll(std::string(item.substr(0, eq))),
                                 std::stoll(std::string(item.substr(eq + 1))));
            } catch (const std::exception&) {
                // a foreign or damaged value: skip the item
            }
        }
        pos = end + 1;
    }
    return out;
}

using engine_detail::SteadyClock;

// ------------------------------------------------------------------ facade --

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { stop(); }

Result<std::unique_ptr<Engine>> Engine::start(EngineOptions options) {
    if (!options.secrets)
        return make_error(Errc::ConfigInvalid, "the engine needs a secret store", ErrorScope::Local, Retry::Never);
    auto impl = std::make_unique<Impl>(std::move(options));
    auto& o = impl->opt;
    if (o.take_lock) {
        auto l = EngineLock::acquire(o.data_dir);
        if (!l) return std::move(l).error();
        impl->lock.emplace(std::move(*l));
    }
    const auto file = o.db_file.empty() ? o.data_dir / "mailporter.db" : o.db_file;
    auto db = Database::open(file);
    if (!db) return std::move(db).error();
    impl->db = std::move(*db);
    impl->ws = store::WorkspaceAccess::borrow(*impl->db, impl->opt.secrets.get(), o.data_dir);
    Impl* p = impl.get();
    p->thread = std::thread([p] { p->main(); });
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::set_wake(std::function<void()> wake) { impl_->out->set_wake(std::move(wake)); }

std::vector<Event> Engine::drain() { return impl_->out->drain(); }

RequestId Engine::add_account(Account account, std::string password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account = std::move(account), password = std::move(password)]() mutable {
        if (auto v = validate(account); !v) return p->done(req, v.error());
        if (auto f = p->db->find_account(account.name); !f || *f) {
            return p->done(req,
                           f ? make_error(Errc::AlreadyExists, "an account named '" + account.name + "' already exists",
                                          ErrorScope::Local, Retry::Never)
                             : f.error());
        }
        auto added = p->ws->add_account(account, std::move(password));
        if (!added) return p->done(req, added.error());
        p->log(LogLevel::Info, account.name, "account added");
        p->done(req, std::nullopt, added->id);
        p->reload_config(false);
    });
    return req;
}

RequestId Engine::edit_account(Account account, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account = std::move(account), password = std::move(password)]() mutable {
        if (auto v = validate(account); !v) return p->done(req, v.error());
        const Account* old = p->account(account.id);
        if (!old) {
            auto all = p->db->accounts();
            if (all)
                for (const auto& a : *all)
                    if (a.id == account.id) old = &a, p->accounts = *all;  // not polled in yet
            if (!old)
                return p->done(req, make_error(Errc::NotFound, "no such account", ErrorScope::Local, Retry::Never));
            old = p->account(account.id);
        }
        if (auto u = p->ws->update_account(account, std::move(password)); !u) return p->done(req, u.error());
        p->log(LogLevel::Info, account.name, "account edited");
        p->done(req, std::nullopt, account.id);
        p->reload_config(false);
        // A new password leaves the Account value as it was: check it anyway
        // (a wrong password waits for exactly this edit).
        p->info[account.id].status = Status{};
        p->sched.check_now(account.id, SteadyClock::now());
        p->emit_account(account.id);
        p->pump();
    });
    return req;
}

RequestId Engine::remove_account(std::int64_t account_id) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account_id] {
        std::string name;
        if (const auto* a = p->account(account_id)) name = a->name;
        auto r = p->ws->remove_account(account_id);
        if (!r) return p->done(req, r.error());
        if (*r) p->log(LogLevel::Warning, name, **r);
        p->log(LogLevel::Info, name, "account removed");
        p->done(req, std::nullopt, account_id);
        p->reload_config(false);
    });
    return req;
}

RequestId Engine::set_office_server(OfficeServer server, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, server = std::move(server), password = std::move(password)] {
        if (auto v = validate(server); !v) return p->done(req, v.error());
        if (password)
            if (auto s = p->opt.secrets->store(OfficeSecretKey, *password); !s) return p->done(req, s.error());
        if (auto r = p->db->set_office_server(server); !r) return p->done(req, r.error());
        p->log(LogLevel::Info, {}, "office server set to " + server.host + ":" + std::to_string(server.port));
        p->done(req, std::nullopt);
        p->reload_config(false);
    });
    return req;
}

void Engine::check_now() {
    impl_->post([p = impl_.get()] {
        if (p->stopping) return;
        p->log(LogLevel::Info, {}, "checking every account now");
        p->sched.check_now(SteadyClock::now());
        p->pump();
    });
}

void Engine::check_now(std::int64_t account_id) {
    impl_->post([p = impl_.get(), account_id] {
        if (p->stopping) return;
        p->sched.check_now(account_id, SteadyClock::now());
        p->pump();
    });
}

void Engine::retry_refused(std::int64_t account_id) {
    impl_->post([p = impl_.get(), account_id] {
        const Account* a = p->account(account_id);
        if (!a || p->stopping) return;
        auto n = ::mailporter::retry_refused(*p->db, account_id);
        if (!n) {
            p->log(LogLevel::Error, a->name, "cannot release the held messages: " + n.error().detail);
            return;
        }
        p->log(LogLevel::Info, a->name, "held messages tried again at the next check: " + std::to_string(*n));
        p->sched.check_now(account_id, SteadyClock::now());
        p->pump();
    });
}

void Engine::pause() {
    impl_->post([p = impl_.get()] {
        (void)p->db->set_setting(SettingPaused, "1");
        if (!p->paused) p->apply_paused(true);
        p->pump();
    });
}

void Engine::resume() {
    impl_->post([p = impl_.get()] {
        (void)p->db->set_setting(SettingPaused, "0");
        if (p->paused) p->apply_paused(false);
        p->pump();
    });
}

RequestId Engine::test_account(Account account, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account = std::move(account), password = std::move(password)]() mutable {
        std::optional<std::string> pw = std::move(password);
        if (const auto* a = p->account(account.id); a && !pw) account.name = a->name;  // the key of what is stored
        if (!pw && !account.uses_oauth()) {
            auto stored = p->opt.secrets->load(account_secret_key(account.name));
            pw = stored && *stored ? **stored : std::string();
        }
        p->start_test(req, std::move(account), std::nullopt, std::move(pw), false);
    });
    return req;
}

RequestId Engine::test_office(std::optional<OfficeServer> server, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, server = std::move(server), password = std::move(password)]() mutable {
        if (!server) server = p->office;
        if (!server) {
            Diagnosis d;
            d.steps.push_back({"resolve", false, "no office server is configured"});
            p->out->push(TestResult{req, 0, true, std::move(d)});
            return;
        }
        std::optional<std::string> pw = std::move(password);
        if (!pw && !server->user.empty() && !server->uses_oauth())
            if (auto s = p->opt.secrets->load(OfficeSecretKey); s && *s) pw = **s;
        p->start_test(req, Account{}, std::move(server), std::move(pw), true);
    });
    return req;
}

RequestId Engine::query_history(HistoryQuery query) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, query = std::move(query)] {
        HistoryResult res;
        res.request = req;
        auto h = p->db->history(query.account, query.search.empty() ? query.limit : 0);
        if (h) {
            if (query.search.empty()) {
                res.records = std::move(*h);
            } else {
                const auto needle = ascii_lower(query.search);
                for (auto& r : *h) {
                    if (query.limit > 0 && static_cast<int>(res.records.size()) >= query.limit) break;
                    for (const auto* f : {&r.from, &r.to, &r.subject, &r.remote_id, &r.reply}) {
                        if (ascii_lower(*f).find(needle) != std::string::npos) {
                            res.records.push_back(std::move(r));
                            break;
                        }
                    }
                }
            }
        }
        p->out->push(std::move(res));
    });
    return req;
}

void Engine::stop() {
    if (impl_->stop_called.exchange(true)) {
        if (impl_->thread.joinable()) impl_->thread.join();
        return;
    }
    impl_->post([p = impl_.get()] { p->begin_stop(); });
    if (impl_->thread.joinable()) impl_->thread.join();
    impl_->finished = true;
}

bool Engine::stopped() const { return impl_->finished.load(); }

bool disable_core_dumps() {
#ifdef _WIN32
    return true;  // Windows Error Reporting keeps no dump unless an admin asked for one
#else
    if (const char* allow = std::getenv("MAILPORTER_ALLOW_CORE"); allow && std::string_view(allow) == "1") return true;
    struct rlimit none {};
    return ::setrlimit(RLIMIT_CORE, &none) == 0;
#endif
}

}  // namespace mailporter
