#include "detect/probe.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "mailporter/relay.h"

namespace mailporter::detect {

namespace {

const DiagnosisStep* first_failure(const Diagnosis& d) {
    for (const auto& s : d.steps)
        if (!s.ok) return &s;
    return nullptr;
}

bool has_ok_step(const Diagnosis& d, std::string_view name) {
    return std::any_of(d.steps.begin(), d.steps.end(), [&](const DiagnosisStep& s) { return s.ok && s.name == name; });
}

}  // namespace

void probe_one(DetectCandidate& c, const std::string& password, const DetectOptions& options) {
    Account a;
    a.name = "detect";
    a.protocol = c.protocol;
    a.host = c.host;
    a.port = c.port;
    a.tls.mode = c.tls;
    a.tls.pinned_sha256 = options.trusted_sha256;
    RelayOptions ro;
    ro.timeout_seconds = static_cast<int>(std::max<long long>(1, (options.step_timeout.count() + 999) / 1000));
    std::vector<std::string> users = c.usernames;
    if (users.empty()) users.push_back("");
    if (password.empty()) users.resize(1);  // only the server's answer is wanted
    c.probed = true;
    std::string refused;
    for (const auto& user : users) {
        a.user = user;
        const Diagnosis d = test_account(a, password, ro);
        const DiagnosisStep* fail = first_failure(d);
        if (!has_ok_step(d, "greeting")) {
            // The TLS step failed on trust: the server is there, its
            // certificate is not trusted; the fingerprint lets the user pin it.
            if (fail && fail->name == "tls" && d.certificate) {
                c.answered = true;
                c.certificate = d.certificate;
                c.detail = "answered, but its certificate is not trusted (SHA-256 " + d.certificate->sha256 + ")";
            } else {
                c.detail = fail ? fail->name + ": " + fail->detail : "no answer";
            }
            return;
        }
        c.answered = true;
        // A certificate that verified only through the pin the user gave.
        if (!options.trusted_sha256.empty() && d.certificate && d.certificate->sha256 == options.trusted_sha256)
            c.certificate = d.certificate;
        if (password.empty()) {
            c.detail = "answered";
            for (const auto& s : d.steps)
                if (s.name == "greeting") c.detail = "answered: " + s.detail;
            return;
        }
        if (has_ok_step(d, "login")) {
            c.logged_in = true;
            c.username = user;
            c.detail = "logged in as " + user;
            return;
        }
        refused += (refused.empty() ? "" : "; ") + user + ": " + (fail ? fail->detail : std::string("refused"));
        // Only a refused login is worth another user name.
        if (!fail || fail->name != "login") break;
    }
    c.detail = "answered, but the login failed (" + refused + ")";
}

void probe_all(std::vector<DetectCandidate>& candidates, const std::string& password, const DetectOptions& options,
               const std::function<void(const DetectCandidate&)>& report) {
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (!candidates[i].probed && candidates[i].detail.empty()) todo.push_back(i);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> done{false};
    std::mutex report_mutex;
    auto worker = [&] {
        for (;;) {
            if (!password.empty() && done.load()) return;
            const std::size_t k = next.fetch_add(1);
            if (k >= todo.size()) return;
            auto& c = candidates[todo[k]];
            probe_one(c, password, options);
            if (c.logged_in) done = true;
            std::lock_guard lock(report_mutex);
            if (report) report(c);
        }
    };
    const std::size_t n = std::min(MaxParallelProbes, todo.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    for (auto i : todo)
        if (!candidates[i].probed) candidates[i].detail = "not probed: another server already accepted the login";
}

}  // namespace mailporter::detect
