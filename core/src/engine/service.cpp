// run_service: the Engine facade driven by a blocking loop (the CLI's `run`).
#include "mailporter/service.h"

#include <condition_variable>
#include <mutex>

#include "mailporter/engine.h"

namespace mailporter {

Result<void> run_service(ServiceOptions options) {
    // The wake-up hops to this thread through a condition variable, as the
    // app's hops through CallAfter.
    struct Waker {
        std::mutex mu;
        std::condition_variable cv;
        bool woken = false;
    };
    auto waker = std::make_shared<Waker>();

    EngineOptions eo;
    eo.data_dir = options.data_dir;
    eo.secrets = std::move(options.secrets);
    eo.relay = options.relay;
    eo.stop_grace = options.stop_grace;
    eo.notes = options.notes;
    eo.wake = [waker] {
        {
            std::lock_guard lock(waker->mu);
            waker->woken = true;
        }
        waker->cv.notify_one();
    };
    auto engine = Engine::start(std::move(eo));
    if (!engine) return std::move(engine).error();

    const auto deliver = [&] {
        for (const auto& e : (*engine)->drain())
            if (options.on_event) options.on_event(e);
    };
    while (!options.stop_requested || !options.stop_requested()) {
        std::unique_lock lock(waker->mu);
        waker->cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return waker->woken; });
        const bool woken = waker->woken;
        waker->woken = false;
        lock.unlock();
        if (woken) deliver();
    }
    (*engine)->stop();
    deliver();
    return {};
}

}  // namespace mailporter
