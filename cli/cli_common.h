#pragma once
// What the CLI's commands share: errors that end a command, the option
// parser, the data directory's database and secret store, printing.

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/data_dir.h"
#include "mailporter/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"

namespace mailporter::cli {

namespace mp = mailporter;

struct UsageError {
    std::string text;
};
struct Failure {
    std::string text;
};

// Options after the command words: --name value, or --flag.
class Args {
public:
    Args(std::vector<std::string> words, std::vector<std::string> flags_without_value)
        : flags_(std::move(flags_without_value)) {
        for (std::size_t i = 0; i < words.size(); ++i) {
            const auto& w = words[i];
            if (w.rfind("--", 0) == 0) {
                auto eq = w.find('=');
                std::string name = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
                if (eq != std::string::npos) {
                    values_[name].push_back(w.substr(eq + 1));
                } else if (is_flag(name)) {
                    values_[name].push_back("");
                } else {
                    if (i + 1 >= words.size()) throw UsageError{"--" + name + " needs a value"};
                    values_[name].push_back(words[++i]);
                }
            } else {
                positional_.push_back(w);
            }
        }
    }
    bool has(const std::string& n) const { return values_.count(n) != 0; }
    std::optional<std::string> get(const std::string& n) const {
        auto it = values_.find(n);
        if (it == values_.end()) return std::nullopt;
        used_.insert({n, true});
        return it->second.back();
    }
    std::vector<std::string> get_all(const std::string& n) const {
        auto it = values_.find(n);
        if (it == values_.end()) return {};
        used_.insert({n, true});
        return it->second;
    }
    bool flag(const std::string& n) const {
        used_.insert({n, true});
        return has(n);
    }
    const std::vector<std::string>& positional() const { return positional_; }
    void reject_unknown() const {
        for (const auto& [n, v] : values_)
            if (!used_.count(n)) throw UsageError{"unknown option --" + n};
    }

private:
    bool is_flag(const std::string& n) const {
        for (const auto& f : flags_)
            if (f == n) return true;
        return false;
    }
    std::vector<std::string> flags_;
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
    mutable std::map<std::string, bool> used_;
};

template <class T>
inline T need(mp::Result<T> r) {
    if (!r) throw Failure{r.error().detail};
    return std::move(r).value();
}
inline void need(mp::Result<void> r) {
    if (!r) throw Failure{r.error().detail};
}

inline int parse_int(const std::string& what, const std::string& s, int lo, int hi) {
    try {
        std::size_t used = 0;
        long v = std::stol(s, &used);
        if (used != s.size() || v < lo || v > hi) throw std::out_of_range("range");
        return static_cast<int>(v);
    } catch (const std::exception&) {
        throw UsageError{what + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                         ", not '" + s + "'"};
    }
}

inline std::string read_password_stdin() {
    std::string pw;
    std::getline(std::cin, pw, '\0');
    // One trailing line end is the terminal's, not the password's.
    if (!pw.empty() && pw.back() == '\n') pw.pop_back();
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    if (pw.empty()) throw UsageError{"--password-stdin: no password on standard input"};
    return pw;
}

inline std::string json_escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

inline std::string json_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ",\"" : "\"") + json_escape(v[i]) + "\"";
    return out + "]";
}

inline std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
}

struct Context {
    std::filesystem::path data_dir;
    std::string secret_store_kind;  // "auto" until secret_store() chose; then "keyring" or "file"
    std::string secret_store_why;   // how it was chosen
    bool verbose = false;
    std::unique_ptr<mp::Database> db;
    std::unique_ptr<mp::SecretStore> secrets;

    mp::Database& database() {
        if (!db) {
            need(mp::ensure_private_dir(data_dir));
            db = need(mp::Database::open(data_dir / "mailporter.db"));
        }
        return *db;
    }
    // The store this data directory uses (chosen once, then recorded: see
    // mailporter/secret_store.h); secret_store_kind becomes the real kind.
    mp::SecretStore& secret_store() {
        if (secrets) return *secrets;
        auto& d = database();
        const auto choice = need(mp::choose_secret_store(d, secret_store_kind));
        secret_store_kind = choice.kind;
        secret_store_why = choice.why;
        const std::string id = choice.kind == "keyring" ? need(mp::instance_id(d)) : std::string();
        auto store = mp::open_secret_store(data_dir, choice.kind, id);
        if (!store) throw Failure{store.error().detail};
        secrets = std::move(*store);
        return *secrets;
    }
    // What status shows without opening (or choosing) anything.
    std::string shown_secret_store() {
        if (secret_store_kind != "auto") return secret_store_kind;
        const auto recorded = mp::recorded_secret_store(database());
        return recorded.empty() ? "not chosen yet" : recorded;
    }
    mp::RelayOptions relay_options() {
        mp::RelayOptions o;
        o.secret_store_kind = secret_store_kind;
        o.log = [this](mp::LogLevel level, const std::string& account, const std::string& text) {
            mp::LogRecord r;
            r.time = std::time(nullptr);
            r.level = static_cast<int>(level);
            r.account = account;
            r.text = text;
            (void)database().add_log(r);
            if (verbose || level >= mp::LogLevel::Warning)
                std::cerr << (account.empty() ? std::string() : "[" + account + "] ") << text << "\n";
        };
        if (verbose)
            o.transcript = [](const std::string& who, char dir, std::string_view line) {
                std::cerr << "[" << who << "] " << dir << ' ' << line << "\n";
            };
        return o;
    }
};

// `edit` is the command that pins a certificate ("account edit NAME"), for
// the hint after an untrusted one.
inline void print_diagnosis(const mp::Diagnosis& d, const std::string& edit) {
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

}  // namespace mailporter::cli
