// EngineBridge's checks a person waits for (engine_bridge.h): Test login
// and the office server's test, autodetect and the office's recipient check.
// The engine runs a test off its thread; otherwise (a viewer) each runs on a
// detached thread of its own and answers on the main thread.

#include "engine_bridge.h"

#include <thread>
#include <utility>

#include <wx/app.h>

#include "mailporter/engine.h"

namespace mailporter::app {

namespace {

// A viewer's Test login: a person is waiting, so steps time out sooner than passes.
constexpr int DiagnosisTimeoutSeconds = 20;

}  // namespace

void EngineBridge::run_diagnosis(std::function<Diagnosis()> work, DiagnosisDone done) {
    // Detached: quitting never waits for a slow server. The thread holds
    // only its own copies and the gate, which closes at shutdown.
    std::thread([gate = gate_, alive = alive_, work = std::move(work), done = std::move(done)]() mutable {
        Diagnosis d = work();
        std::lock_guard lock(gate->mu);
        if (!gate->open) return;
        wxTheApp->CallAfter([alive, d = std::move(d), done = std::move(done)] {
            if (alive.lock()) done(d);
        });
    }).detach();
}

template <class T>
void EngineBridge::run_detached(std::function<T()> work, std::function<void(const T&)> done) {
    std::thread([gate = gate_, alive = alive_, work = std::move(work), done = std::move(done)]() mutable {
        auto result = std::make_shared<T>(work());
        std::lock_guard lock(gate->mu);
        if (!gate->open) return;
        wxTheApp->CallAfter([alive, result, done = std::move(done)] {
            if (alive.lock()) done(*result);
        });
    }).detach();
}

void EngineBridge::detect(std::string address, std::string password, DetectOptions options, DetectDone done) {
    // Progress lines come from the worker thread: not shown (the caller
    // shows that it is busy), so the options carry no callback across.
    options.progress = nullptr;
    run_detached<Result<Detection>>(
        [address = std::move(address), password = std::move(password), options = std::move(options)] {
            return detect_account(address, password, options);
        },
        std::move(done));
}

void EngineBridge::verify_recipients(OfficeServer server, std::string password, std::vector<std::string> addresses,
                                     VerifyDone done) {
    RelayOptions options;
    options.timeout_seconds = DiagnosisTimeoutSeconds;
    options.secret_store_kind = secret_store_kind_;
    run_detached<Result<std::vector<RecipientCheck>>>(
        [server = std::move(server), password = std::move(password), addresses = std::move(addresses), options] {
            return mailporter::verify_recipients(server, password, addresses, options);
        },
        std::move(done));
}

void EngineBridge::test_account(Account account, std::string password, DiagnosisDone done) {
    if (engine_) {
        tests_[engine_->test_account(std::move(account), std::move(password))] = std::move(done);
        return;
    }
    RelayOptions options;
    options.timeout_seconds = DiagnosisTimeoutSeconds;
    options.secret_store_kind = secret_store_kind_;
    run_diagnosis([account = std::move(account), password = std::move(password),
                   options] { return mailporter::test_account(account, password, options); },
                  std::move(done));
}

void EngineBridge::test_account_stored(Account account, DiagnosisDone done) {
    if (engine_) {
        tests_[engine_->test_account(std::move(account), std::nullopt)] = std::move(done);
        return;
    }
    RelayOptions options;
    options.timeout_seconds = DiagnosisTimeoutSeconds;
    options.secret_store_kind = secret_store_kind_;
    run_diagnosis(
        [account = std::move(account), options, open = open_secrets_] {
            auto store = open();
            if (!store) {
                Diagnosis d;
                d.steps.push_back({"sign-in", false, store.error().detail});
                return d;
            }
            return mailporter::test_signed_in_account(**store, account, options);
        },
        std::move(done));
}

void EngineBridge::test_office(OfficeServer server, std::optional<std::string> password, DiagnosisDone done) {
    if (engine_) {
        tests_[engine_->test_office(std::move(server), std::move(password))] = std::move(done);
        return;
    }
    RelayOptions options;
    options.timeout_seconds = DiagnosisTimeoutSeconds;
    options.secret_store_kind = secret_store_kind_;
    run_diagnosis(
        [server = std::move(server), password = std::move(password), options, open = open_secrets_] {
            if (password || !server.uses_oauth())
                return mailporter::test_office(server, password.value_or(""), options);
            auto store = open();
            if (!store) {
                Diagnosis d;
                d.steps.push_back({"sign-in", false, store.error().detail});
                return d;
            }
            return mailporter::test_signed_in_office(**store, server, std::nullopt, options);
        },
        std::move(done));
}

}  // namespace mailporter::app
