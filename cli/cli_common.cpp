// What the CLI's commands share; see cli_common.h.

#include "cli_common.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <string_view>

#include "mailporter/calendar.h"
#include "mailporter/records.h"

namespace mailporter::cli {

mp::Workspace& Context::workspace() {
    if (!ws) ws = need(mp::Workspace::open(data_dir, secret_store_kind));
    return *ws;
}

mp::SecretStore& Context::secret_store() { return *need(workspace().secrets()); }

std::string Context::shown_secret_store() {
    std::string kind = workspace().secret_store_kind();
    if (!kind.empty()) return kind;
    return secret_store_kind != "auto" ? secret_store_kind : "not chosen yet";
}

mp::RelayOptions Context::relay_options() {
    mp::RelayOptions o;
    o.secret_store_kind = workspace().secret_store_kind();
    o.log = [this](mp::LogLevel level, const std::string& account, const std::string& text) {
        mp::LogRecord r;
        r.time = std::time(nullptr);
        r.level = static_cast<int>(level);
        r.account = account;
        r.text = text;
        (void)workspace().add_log(r);
        if (verbose || level >= mp::LogLevel::Warning)
            std::cerr << (account.empty() ? std::string() : "[" + account + "] ") << text << "\n";
    };
    if (verbose)
        o.transcript = [](const std::string& who, char dir, std::string_view line) {
            std::cerr << "[" << who << "] " << dir << ' ' << line << "\n";
        };
    return o;
}

void print_diagnosis(const mp::Diagnosis& d, const std::string& edit) {
    for (const auto& s : d.steps) std::cout << (s.ok ? "  ok    " : "  FAIL  ") << s.name << ": " << s.detail << "\n";
    const bool untrusted =
        std::any_of(d.steps.begin(), d.steps.end(), [](const auto& s) { return !s.ok && s.name == "tls"; });
    if (untrusted && d.certificate) {
        std::cout << "  to trust exactly this certificate: mailporter-cli " << edit << " --trust-fingerprint "
                  << d.certificate->sha256;
        if (!d.certificate->key_sha256.empty())
            std::cout << "\n  (and its renewals that keep the key: add --trust-key " << d.certificate->key_sha256
                      << ")";
        if (!d.certificate->issuer_sha256.empty())
            std::cout << "\n  or every certificate its CA issues for this server, if that CA is your own: "
                      << "--trust-issuer " << d.certificate->issuer_sha256;
        std::cout << "\n";
    }
    std::cout << (d.ok() ? "result: ok\n" : "result: failed\n");
}

std::string local_time(std::int64_t t) {
    const std::tm tm = mailporter::local_tm(static_cast<std::time_t>(t));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

}  // namespace mailporter::cli
