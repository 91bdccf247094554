// mailporter-cli: the headless front-end. Same engine, same data directory as
// the tray app. Errors are one clear line and a non-zero exit.

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "mailporter/admin_alerts.h"
#include "mailporter/calendar.h"
#include "mailporter/config.h"
#include "alert_cli.h"
#include "cli_common.h"
#include "detect_cli.h"
#include "import_cli.h"
#include "signin_cli.h"
#include "stats_cli.h"
#include "windows_service.h"
#include "mailporter/data_dir.h"
#include "mailporter/database.h"
#include "mailporter/detect.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/service.h"
#include "mailporter/settings.h"
#include "mailporter/signin.h"
#include "mailporter/status.h"
#include "mailporter/version.h"

namespace mp = mailporter;
using namespace mailporter::cli;

namespace {

constexpr int ExitOk = 0;
constexpr int ExitFailed = 1;
constexpr int ExitUsage = 2;

const char* Usage = R"(usage: mailporter-cli [--data-dir DIR] [--secret-store auto|keyring|file] [-v|--verbose] COMMAND

commands:
  server set --host H --port P --tls tls|starttls|none [--user U --password-stdin]
             [--user U --auth oauth2 --provider microsoft|google|URL ...]   (as for accounts)
  server signin [--browser|--device] [--client-secret-stdin|--client-certificate PEM]
             the office login's OAuth2 sign-in (as account signin)
             [--trust-fingerprint SHA256 [--trust-key SHA256]] [--trust-issuer SHA256]
             [--helo NAME] [--allow-legacy-tls]
  server show
  server test
  server verify ADDR...     asks the office server (RCPT TO, then RSET) whether it takes
                            mail for each address; nothing is sent
  account add NAME --protocol pop3|imap --host H [--port P] --tls tls|starttls|none
             --user U --password-stdin --deliver-to ADDR
             [--leave delete|days:N|forever|mark-read] [--max-per-pass N] [--max-size MB]
             [--folder NAME ...|--folder '*'] [--idle]        (IMAP: folders, default INBOX; push)
             [--folder-delivery one|header|plus]   (IMAP: how the source folder reaches
             the office: one address; an X-MailPorter-Folder header; or user+Folder@)
             [--interval MIN] [--trust-fingerprint SHA256 [--trust-key SHA256]]
             [--trust-issuer SHA256] [--allow-legacy-tls] [--disabled]
             --trust-fingerprint trusts one certificate the system does not; --trust-key
             also trusts its public key (SHA-256 of the SubjectPublicKeyInfo, as account test
             prints it), so a renewal that keeps the key keeps working; --trust-issuer
             trusts the CA (a private one, such as the office's own) whose certificate the
             server sends in its chain: any certificate it issues for this host, valid now.
             A certificate that matches no pin turns the account red ("certificate
             changed"); nothing asks. An empty value removes that pin.
  account add NAME ... --catch-all --domain example.com[=office.local] [--domain ...]
             [--fallback ADDR] [--envelope-header NAME ...]     (instead of --deliver-to)
  account add NAME --address ADDR --password-stdin --deliver-to ADDR|--catch-all ...
             detects protocol, host, port, TLS and user from the address (flags
             given as well win); an untrusted certificate needs --trust-fingerprint
  account detect ADDR [--password-stdin] [--no-probe] [--allow-plain] [--prefer pop3|imap]
             looks the address up (provider table, SRV, autoconfig, guesses), probes the
             servers found (with a password: logs in) and prints the best; exit 0 if found
  account add NAME ... --auth oauth2 --provider microsoft|google|URL [--tenant T]
             [--client-id ID] [--app-only]     (no password: sign in with the provider)
  account signin NAME [--browser|--device] [--client-secret-stdin] [--timeout S]
             [--client-certificate PEM]
             OAuth2 sign-in: the browser on this machine, or a code to enter on any
             device (the default without a display); --client-secret-stdin gives
             the secret of your own client (Google desktop app; app-only access);
             --client-certificate: app-only access with a certificate (PEM file
             with the private key and the certificate registered with the app)
  account edit NAME [options as for add] [--enabled] [--individual] [--auth password|oauth2]
  account list [--json]
  account remove NAME
  account test NAME
  poll [--account NAME]     one pass now; exit 0 only if every account succeeded
  status [--json]           the scheduler, each account and the office server:
                            colour, code, what it means, last and next check
  history [--account NAME] [--limit N] [--json]
                            what happened to each message, newest first
  stats [--account NAME] [--days N] [--json]
                            mail delivered per hour over the last N days (1-30,
                            default 7), per account and in total: messages, bytes,
                            the busiest hour, refused and skipped, the oldest
                            message waiting. --json: {"now","start","end","days",
                            "hours","accounts":[{"account","configured",...}],"total":
                            {"delivered","bytes","refused","skipped","retrying",
                            "peak":{"start","messages","bytes"}|null,"oldest_waiting":
                            {"first_seen","age_seconds"}|null,"messages_per_hour":[..],
                            "bytes_per_hour":[..]}}; hours oldest first, from "start"
                            (Unix seconds, on the hour) to "end"
  log [--account NAME] [--limit N] [--follow]
                            the engine's log (--follow keeps printing new lines)
  retry NAME                messages of account NAME the office server refused for good
                            stay on the remote server until this; the next pass tries
                            them again (a running engine checks the account at once)
  pause | resume            stop or restart scheduled checks (also of a running engine)
  settings [show]           the engine's settings
  settings set NAME VALUE   interval (default minutes between checks, 1-1440),
                            max-connections (accounts checked at once, 1-1000,
                            default 64), max-connections-per-host (at once against
                            one provider host, 1-1000, default 16),
                            history-retention-days (1-3650); a running engine
                            picks changes up within a second
                            Admin alerts by mail: alert-address (empty: off),
                            alert-red-minutes (30), alert-interval-minutes (240),
                            alert-digest-hour (0-23 local, 8; off), alert-held-back-hours
                            (0: off); a second route when the office server is down:
                            alert-smtp-host, -port, -tls, -user, and
                            settings set alert-smtp-password --password-stdin
  alert test [--route]      sends a test alert now (--route: through the second route only)
  alert digest [--now]      sends the digest of the last 24 hours now
  import fetchmailrc FILE [--dry-run] [--replace] [--office-domain D]
             [--office-host H [--office-port P]]
                            fetchmail's run control file: each poll entry's users become
                            accounts (passwords into the secret store), smtphost the office
                            server, set daemon the default interval; `is alice here` needs
                            the office's mail domain (--office-domain, else that of an
                            account already there). Every statement that cannot be mapped
                            is listed with its line. Existing names are left alone
                            unless --replace
  export [--output FILE] [--passwords]
                            the configuration as JSON (office server, accounts, settings);
                            --passwords adds the passwords and sign-ins (needs --output;
                            the file is written 0600)
  import json FILE [--dry-run] [--replace]
                            a file written by export; checked whole before anything is
                            written; existing names refuse it unless --replace
  run                       the scheduler: polls each account every interval until
                            SIGINT/SIGTERM (finishes the pass in progress first)
  service install|uninstall|start|stop|status
                            (Windows) the engine as the service "MailPorter", started
                            with Windows; data directory --data-dir, or
                            %ProgramData%\\MailPorter (SYSTEM and Administrators only)
  --version

Autodetect asks the system's DNS server; MAILPORTER_DNS_SERVER=ip[:port] asks another
(and resolves the names found through it); MAILPORTER_AUTOCONFIG_HTTP_PORT and
MAILPORTER_AUTOCONFIG_HTTPS_PORT change where autoconfig documents are fetched.

The data directory defaults to $XDG_DATA_HOME/mailporter (MAILPORTER_DATA_DIR
overrides); MAILPORTER_SECRET_STORE sets the secret store like --secret-store. With
"auto" (the default) the first use picks the desktop keyring when one answers,
else a private 0600 file in the data directory, and every later use keeps to it.
)";

void apply_tls_options(const Args& a, mp::TlsSettings& tls) {
    if (auto t = a.get("tls")) tls.mode = need(mp::parse_tls_mode(*t));
    // A fingerprint given by hand replaces the whole old pin (its key and
    // what its certificate said): nothing is known of the new one but it.
    if (auto f = a.get("trust-fingerprint"))
        mp::ServerCertificate{f->empty() ? "" : need(mp::normalise_fingerprint(*f)), {}, {}, {}, {}}.pin_into(tls);
    if (auto k = a.get("trust-key")) tls.pinned_key_sha256 = k->empty() ? "" : need(mp::normalise_fingerprint(*k));
    if (auto c = a.get("trust-issuer")) tls.pinned_ca_sha256 = c->empty() ? "" : need(mp::normalise_fingerprint(*c));
    if (a.flag("allow-legacy-tls")) tls.allow_legacy_tls = true;
}

int cmd_server(Context& ctx, const std::string& sub, const Args& a) {
    auto& db = ctx.database();
    if (sub == "set") {
        auto current = need(db.office_server());
        mp::OfficeServer s = current.value_or(mp::OfficeServer{});
        if (auto h = a.get("host"))
            s.host = *h;
        else if (!current)
            throw UsageError{"server set needs --host"};
        apply_tls_options(a, s.tls);
        if (auto p = a.get("port"))
            s.port = static_cast<std::uint16_t>(parse_int("--port", *p, 1, 65535));
        else if (!current)
            s.port = mp::default_smtp_port(s.tls.mode);
        if (auto h = a.get("helo")) s.helo_name = *h;
        if (auto u = a.get("user")) s.user = *u;
        apply_oauth_options(a, s.oauth);
        const bool pw = a.flag("password-stdin");
        a.reject_unknown();
        if (s.uses_oauth() && pw) throw UsageError{"an OAuth2 login has no password (--password-stdin)"};
        if (!s.user.empty() && !pw && !s.uses_oauth() &&
            !(current && current->user == s.user && !current->uses_oauth()))
            throw UsageError{"--user needs --password-stdin (or --auth oauth2 --provider ...)"};
        need(mp::validate(s));
        if (pw) {
            if (s.user.empty()) throw UsageError{"--password-stdin needs --user"};
            need(ctx.secret_store().store(mp::OfficeSecretKey, read_password_stdin()));
        }
        need(db.set_office_server(s));
        std::cout << "office server set: " << s.host << ":" << s.port << " (" << mp::to_string(s.tls.mode) << ")\n";
        if (s.uses_oauth() && !(current && current->oauth == s.oauth && current->user == s.user))
            std::cout << "now sign in: mailporter-cli server signin\n";
        return ExitOk;
    }
    auto s = need(db.office_server());
    if (!s)
        throw Failure{"no office server is configured; use: mailporter-cli server set --host H --port P --tls MODE"};
    if (sub == "signin") return cmd_server_signin(ctx, *s, a);
    a.reject_unknown();
    // What the office login uses: the password, or a current OAuth2 access token.
    const auto office_secret = [&]() -> std::string {
        if (s->user.empty()) return {};
        if (s->uses_oauth()) return need(mp::office_access_token(ctx.secret_store(), *s, false));
        return need(ctx.secret_store().load(mp::OfficeSecretKey)).value_or("");
    };
    if (sub == "show") {
        std::cout << "host: " << s->host << "\nport: " << s->port << "\ntls: " << mp::to_string(s->tls.mode)
                  << "\nuser: " << (s->user.empty() ? "(none)" : s->user)
                  << (s->uses_oauth() ? " (OAuth2 via " + s->oauth.provider + ")" : std::string())
                  << "\nhelo: " << (s->helo_name.empty() ? "(this machine's name)" : s->helo_name)
                  << "\ntrusted fingerprint: " << (s->tls.pinned_sha256.empty() ? "(none)" : s->tls.pinned_sha256)
                  << "\ntrusted public key: "
                  << (s->tls.pinned_key_sha256.empty() ? "(none)" : s->tls.pinned_key_sha256)
                  << "\ntrusted issuer: " << (s->tls.pinned_ca_sha256.empty() ? "(none)" : s->tls.pinned_ca_sha256)
                  << "\n";
        return ExitOk;
    }
    if (sub == "test") {
        const auto pw =
            s->uses_oauth()
                ? std::nullopt
                : std::optional<std::string>(need(ctx.secret_store().load(mp::OfficeSecretKey)).value_or(""));
        auto d = mp::test_signed_in_office(ctx.secret_store(), *s, pw, ctx.relay_options());
        print_diagnosis(d, "server set");
        return d.ok() ? ExitOk : ExitFailed;
    }
    if (sub == "verify") {
        // RCPT TO + RSET per address: does the office server take mail for it?
        if (a.positional().empty()) throw UsageError{"server verify needs at least one ADDRESS"};
        auto checks = mp::verify_recipients(*s, office_secret(), a.positional(), ctx.relay_options());
        if (!checks) throw Failure{"the office server could not be asked: " + checks.error().detail};
        bool all = true;
        for (const auto& c : *checks) {
            const char* word = c.verdict == mp::RecipientCheck::Verdict::Accepted  ? "accepted"
                               : c.verdict == mp::RecipientCheck::Verdict::Refused ? "REFUSED "
                                                                                   : "unsure  ";
            all = all && c.verdict == mp::RecipientCheck::Verdict::Accepted;
            std::cout << "  " << word << " " << c.address << ": " << c.reply << "\n";
        }
        return all ? ExitOk : ExitFailed;
    }
    throw UsageError{"unknown server command '" + sub + "'"};
}

void apply_account_options(const Args& a, mp::Account& acc, bool adding) {
    if (auto p = a.get("protocol")) acc.protocol = need(mp::parse_protocol(*p));
    if (auto h = a.get("host")) acc.host = *h;
    apply_tls_options(a, acc.tls);
    if (auto p = a.get("port"))
        acc.port = static_cast<std::uint16_t>(parse_int("--port", *p, 1, 65535));
    else if (adding)
        acc.port = mp::default_port(acc.protocol, acc.tls.mode);
    if (auto u = a.get("user")) acc.user = *u;
    if (auto d = a.get("deliver-to")) acc.deliver_to = *d;
    if (auto l = a.get("leave")) acc.leave = need(mp::parse_leave_policy(*l));
    if (auto n = a.get("max-per-pass")) acc.max_per_pass = parse_int("--max-per-pass", *n, 0, 1000000);
    if (auto m = a.get("max-size"))
        acc.max_size_bytes = static_cast<std::int64_t>(parse_int("--max-size", *m, 0, 100000)) * 1024 * 1024;
    if (auto i = a.get("interval")) acc.interval_minutes = parse_int("--interval", *i, 1, 1440);
    if (a.flag("catch-all")) acc.catch_all = true;
    if (a.has("domain")) acc.domains = a.get_all("domain");
    if (auto f = a.get("fallback")) acc.fallback = *f;
    if (a.has("envelope-header")) acc.envelope_headers = a.get_all("envelope-header");
    if (acc.catch_all && a.has("deliver-to") && adding)
        throw UsageError{"use either --deliver-to (individual box) or --catch-all with --domain"};
    if (a.flag("individual")) {
        acc.catch_all = false;
        acc.domains.clear();
        acc.fallback.clear();
    }
    if (a.has("folder")) acc.folders = a.get_all("folder");
    if (auto d = a.get("folder-delivery")) acc.folder_delivery = need(mp::parse_folder_delivery(*d));
    if (a.flag("idle")) acc.idle = true;
    if (a.flag("no-idle")) acc.idle = false;
    if (a.flag("disabled")) acc.enabled = false;
    if (a.flag("enabled")) acc.enabled = true;
}

mp::DetectOptions detect_options(const Context& ctx, const Args& a) {
    mp::DetectOptions o;
    try {
        o = mp::cli::detect_options_from_env();
    } catch (const std::invalid_argument& e) {
        throw UsageError{e.what()};
    }
    o.probe = !a.flag("no-probe");
    o.allow_plain = a.flag("allow-plain");
    if (auto p = a.get("prefer")) o.prefer = need(mp::parse_protocol(*p));
    if (ctx.verbose) o.progress = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
    return o;
}

// account detect ADDRESS: what autodetect finds; nothing is stored.
int cmd_account_detect(Context& ctx, const Args& a) {
    const auto& pos = a.positional();
    if (pos.size() != 1) throw UsageError{"account detect needs one ADDRESS"};
    auto o = detect_options(ctx, a);
    const bool pw = a.flag("password-stdin");
    a.reject_unknown();
    const std::string password = pw ? read_password_stdin() : std::string();
    std::cout << "detecting the server of " << pos[0] << (o.probe ? "" : " (without probing)") << "\n";
    o.progress = [](const std::string& line) { std::cout << "  " << line << std::endl; };
    auto d = need(mp::detect_account(pos[0], password, o));
    mp::cli::print_detection(d, std::cout);
    return d.best ? ExitOk : ExitFailed;
}

// account add NAME --address ADDRESS: detection fills protocol, host, port,
// TLS and user (the caller applies the flags given as well: they win).
mp::Account detected_account(Context& ctx, const Args& a, const std::string& password) {
    const std::string address = *a.get("address");
    auto o = detect_options(ctx, a);
    o.probe = true;
    if (auto f = a.get("trust-fingerprint"); f && !f->empty()) o.trusted_sha256 = need(mp::normalise_fingerprint(*f));
    std::cout << "detecting the server of " << address << " ...\n";
    auto d = need(mp::detect_account(address, password, o));
    if (ctx.verbose) mp::cli::print_detection(d, std::cerr);
    const bool oauth = a.has("auth") && *a.get("auth") == "oauth2";
    auto found = mp::cli::account_for_add(d, o.trusted_sha256, oauth);
    if (!found.account) throw Failure{found.why_not};
    const auto& x = *found.account;
    std::cout << "detected " << mp::to_string(x.protocol) << "://" << x.user << "@" << x.host << ":" << x.port << " ("
              << mp::to_string(x.tls.mode) << ") from " << found.source << "\n";
    return x;
}

int cmd_account(Context& ctx, const std::string& sub, const Args& a) {
    auto& db = ctx.database();
    const auto& pos = a.positional();
    if (sub == "list") {
        const bool json = a.flag("json");
        a.reject_unknown();
        auto accounts = need(db.accounts());
        if (json) {
            std::cout << "[";
            for (std::size_t i = 0; i < accounts.size(); ++i) {
                const auto& x = accounts[i];
                std::cout << (i ? "," : "") << "{\"name\":\"" << json_escape(x.name) << "\",\"protocol\":\""
                          << mp::to_string(x.protocol) << "\",\"host\":\"" << json_escape(x.host)
                          << "\",\"port\":" << x.port << ",\"tls\":\"" << mp::to_string(x.tls.mode) << "\",\"user\":\""
                          << json_escape(x.user) << "\",\"deliver_to\":\"" << json_escape(x.deliver_to)
                          << "\",\"leave\":\"" << mp::to_string(x.leave) << "\",\"max_per_pass\":" << x.max_per_pass
                          << ",\"max_size_bytes\":" << x.max_size_bytes
                          << ",\"interval_minutes\":" << x.interval_minutes
                          << ",\"catch_all\":" << (x.catch_all ? "true" : "false")
                          << ",\"domains\":" << json_list(x.domains) << ",\"fallback\":\"" << json_escape(x.fallback)
                          << "\",\"envelope_headers\":" << json_list(x.envelope_headers) << ",\"trust_fingerprint\":\""
                          << x.tls.pinned_sha256 << "\",\"trust_key\":\"" << x.tls.pinned_key_sha256
                          << "\",\"trust_issuer\":\"" << x.tls.pinned_ca_sha256
                          << "\",\"allow_legacy_tls\":" << (x.tls.allow_legacy_tls ? "true" : "false")
                          << ",\"enabled\":" << (x.enabled ? "true" : "false")
                          << ",\"folders\":" << json_list(x.folders) << ",\"idle\":" << (x.idle ? "true" : "false")
                          << ",\"folder_delivery\":\"" << mp::to_string(x.folder_delivery) << "\"}";
            }
            std::cout << "]\n";
        } else if (accounts.empty()) {
            std::cout << "no accounts; add one with: mailporter-cli account add NAME ...\n";
        } else {
            for (const auto& x : accounts)
                std::cout << x.name << "  " << mp::to_string(x.protocol) << "://" << x.user << "@" << x.host << ":"
                          << x.port << " (" << mp::to_string(x.tls.mode) << ") -> "
                          << (x.catch_all ? "catch-all " + join(x.domains) +
                                                (x.fallback.empty() ? std::string() : ", fallback " + x.fallback)
                                          : x.deliver_to)
                          << "  leave " << mp::to_string(x.leave)
                          << (x.protocol == mp::Protocol::Imap
                                  ? "  folders " + (x.folders.empty() ? std::string("INBOX") : join(x.folders)) +
                                        (x.idle ? "  idle" : "") +
                                        (x.folder_delivery != mp::FolderDelivery::One
                                             ? "  folder delivery " + std::string(mp::to_string(x.folder_delivery))
                                             : std::string())
                                  : std::string())
                          << (x.enabled ? "" : "  [disabled]") << "\n";
        }
        return ExitOk;
    }
    if (pos.empty()) throw UsageError{"account " + sub + " needs the account NAME"};
    const std::string name = pos.front();
    if (pos.size() > 1) throw UsageError{"unexpected argument '" + pos[1] + "'"};
    if (sub == "add") {
        mp::Account acc;
        const bool detect = a.has("address");
        for (const char* o : {"protocol", "host", "tls", "user"})
            if (!detect && !a.has(o))
                throw UsageError{"account add needs --" + std::string(o) + " (or --address to detect)"};
        const bool oauth = a.has("auth") && *a.get("auth") == "oauth2";
        if (!oauth && !a.has("password-stdin"))
            throw UsageError{"account add needs --password-stdin (or --auth oauth2 --provider ... to sign in instead)"};
        if (oauth && a.has("password-stdin")) throw UsageError{"an OAuth2 account has no password (--password-stdin)"};
        if (!a.has("deliver-to") && !a.has("catch-all"))
            throw UsageError{
                "account add needs --deliver-to ADDR (individual box) or --catch-all --domain D (catch-all box)"};
        std::optional<std::string> pw;
        if (detect) {
            if (need(db.find_account(name))) throw Failure{"an account named '" + name + "' already exists"};
            if (!oauth) pw = read_password_stdin();  // the probes log in with it
            acc = detected_account(ctx, a, pw.value_or(""));
        }
        const mp::Account detected = acc;
        acc.name = name;
        apply_account_options(a, acc, true);
        apply_oauth_options(a, acc.oauth);
        // A detected port stays unless the protocol or TLS mode was changed.
        if (detect && !a.has("port") && acc.protocol == detected.protocol && acc.tls.mode == detected.tls.mode)
            acc.port = detected.port;
        a.flag("password-stdin");
        a.reject_unknown();
        need(mp::validate(acc));
        if (need(db.find_account(name))) throw Failure{"an account named '" + name + "' already exists"};
        if (oauth) {
            need(db.add_account(acc));
            std::cout << "account " << name << " added (" << mp::to_string(acc.protocol) << "://" << acc.host << ":"
                      << acc.port << ", OAuth2 via " << acc.oauth.provider
                      << ")\nnow sign in: mailporter-cli account signin " << name << "\n";
            return ExitOk;
        }
        if (!pw) pw = read_password_stdin();
        auto& secrets = ctx.secret_store();
        auto added = need(db.add_account(acc));
        if (auto r = secrets.store(mp::account_secret_key(name), *pw); !r) {
            (void)db.remove_account(added.id);
            throw Failure{r.error().detail};
        }
        std::cout << "account " << name << " added (" << mp::to_string(acc.protocol) << "://" << acc.host << ":"
                  << acc.port << ", password in the " << secrets.kind() << " store)\n";
        return ExitOk;
    }
    auto found = need(db.find_account(name));
    if (!found) throw Failure{"no account named '" + name + "' (see: mailporter-cli account list)"};
    mp::Account acc = *found;
    if (sub == "edit") {
        apply_account_options(a, acc, false);
        apply_oauth_options(a, acc.oauth);
        std::optional<std::string> new_name = a.get("name");
        if (new_name) acc.name = *new_name;
        const bool pw = a.flag("password-stdin");
        a.reject_unknown();
        need(mp::validate(acc));
        if (pw)
            need(ctx.secret_store().store(mp::account_secret_key(acc.name), read_password_stdin()));
        else if (acc.name != found->name) {
            auto& s = ctx.secret_store();
            if (auto old = need(s.load(mp::account_secret_key(found->name))))
                need(s.store(mp::account_secret_key(acc.name), *old));
        }
        need(db.update_account(acc));
        if (acc.name != found->name) (void)ctx.secret_store().erase(mp::account_secret_key(found->name));
        std::cout << "account " << acc.name << " updated\n";
        return ExitOk;
    }
    if (sub == "remove") {
        a.reject_unknown();
        need(db.remove_account(acc.id));
        // The password goes too. A keyring that cannot be reached now keeps
        // its entry; that is reported, not fatal: the account is gone.
        try {
            if (auto r = ctx.secret_store().erase(mp::account_secret_key(name)); !r)
                std::cerr << "mailporter-cli: warning: the password could not be removed: " << r.error().detail << "\n";
        } catch (const Failure& f) {
            std::cerr << "mailporter-cli: warning: the password could not be removed: " << f.text << "\n";
        }
        std::cout << "account " << name << " removed\n";
        return ExitOk;
    }
    if (sub == "signin") return cmd_account_signin(ctx, acc, a);
    if (sub == "test") {
        a.reject_unknown();
        if (!acc.uses_oauth() && !need(ctx.secret_store().load(mp::account_secret_key(name))))
            throw Failure{"no password stored for account " + name + "; set it with: mailporter-cli account edit " +
                          name + " --password-stdin"};
        auto d = mp::test_signed_in_account(ctx.secret_store(), acc, ctx.relay_options());
        print_diagnosis(d, "account edit " + name);
        return d.ok() ? ExitOk : ExitFailed;
    }
    throw UsageError{"unknown account command '" + sub + "'"};
}

int cmd_poll(Context& ctx, const Args& a) {
    const auto only = a.get("account");
    a.reject_unknown();
    auto& db = ctx.database();
    auto lock = mp::EngineLock::acquire(ctx.data_dir);
    if (!lock) {
        if (only) throw Failure{lock.error().detail + " (another mailporter engine is running on this data directory)"};
        // A running engine checks every account now when asked through the database.
        need(
            db.set_setting(mp::SettingCheckNow, std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid())));
        std::cout << "asked the running engine (" << lock.error().detail << ") to check every account now; "
                  << "see: mailporter-cli status\n";
        return ExitOk;
    }
    std::vector<mp::Account> accounts;
    for (auto& acc : need(db.accounts())) {
        if (only ? acc.name == *only : acc.enabled) accounts.push_back(acc);
    }
    if (only && accounts.empty()) throw Failure{"no account named '" + *only + "'"};
    if (accounts.empty()) {
        std::cout << "no enabled accounts\n";
        return ExitOk;
    }
    auto& secrets = ctx.secret_store();
    auto options = ctx.relay_options();
    if (auto m = need(db.setting(mp::SettingMaxConnections)))
        options.max_connections = std::clamp(std::atoi(m->c_str()), 1, 1000);
    if (auto m = need(db.setting(mp::SettingMaxPerHost)))
        options.max_per_host = std::clamp(std::atoi(m->c_str()), 1, 1000);
    auto reports = mp::poll(db, secrets, accounts, options);
    bool all_ok = true;
    for (const auto& r : reports) {
        if (r.outcome.ok()) {
            std::cout << r.account << ": ok, " << r.delivered << " delivered, " << r.deleted << " deleted, " << r.kept
                      << " kept on server";
            if (r.skipped) std::cout << ", " << r.skipped << " skipped";
            if (r.refused) std::cout << ", " << r.refused << " refused";
            if (r.retrying) std::cout << ", " << r.retrying << " to retry";
            std::cout << "\n";
            for (const auto& w : r.warnings) std::cout << "  warning: " << w << "\n";
            if (r.refused || r.retrying) all_ok = false;
        } else {
            all_ok = false;
            std::cout << r.account << ": failed (" << mp::to_string(r.outcome.error().code)
                      << "): " << r.outcome.error().detail << "\n";
        }
    }
    return all_ok ? ExitOk : ExitFailed;
}

std::string local_time(std::int64_t t) {
    const std::tm tm = mailporter::local_tm(static_cast<std::time_t>(t));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

int cmd_history(Context& ctx, const Args& a) {
    const auto account = a.get("account");
    const int limit = a.get("limit") ? parse_int("--limit", *a.get("limit"), 1, 1000000) : 50;
    const bool json = a.flag("json");
    a.reject_unknown();
    const auto rows = need(ctx.database().history(account, limit));
    if (json) {
        std::cout << "[";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& h = rows[i];
            std::cout << (i ? "," : "") << "{\"time\":" << h.time << ",\"account\":\"" << json_escape(h.account)
                      << "\",\"remote_id\":\"" << json_escape(h.remote_id) << "\",\"from\":\"" << json_escape(h.from)
                      << "\",\"to\":\"" << json_escape(h.to) << "\",\"subject\":\"" << json_escape(h.subject)
                      << "\",\"size\":" << h.size << ",\"outcome\":\"" << mp::to_string(h.outcome) << "\",\"reply\":\""
                      << json_escape(h.reply) << "\"}";
        }
        std::cout << "]\n";
        return ExitOk;
    }
    if (rows.empty()) std::cout << "no history yet\n";
    for (const auto& h : rows)
        std::cout << local_time(h.time) << "  " << h.account << "  " << mp::to_string(h.outcome) << "  " << h.from
                  << " -> " << h.to << "  \"" << h.subject << "\"  " << h.size << " bytes  " << h.reply << "\n";
    return ExitOk;
}

// Colour, code and sentence of each account and of the office server, as
// the running engine sees it: the last pass of each account (PassRecord), the
// pause setting, and the next-check times the engine publishes
// ("engine-next-checks"); without a running engine, the next check is
// estimated from the last check and the interval.
int cmd_status(Context& ctx, const Args& a) {
    const bool json = a.flag("json");
    a.reject_unknown();
    auto& db = ctx.database();
    const bool paused = need(db.setting(mp::SettingPaused)).value_or("0") == "1";
    int default_minutes = 5;
    if (auto d = need(db.setting(mp::SettingDefaultInterval))) default_minutes = std::max(1, std::atoi(d->c_str()));
    int max_connections = mp::DefaultMaxConnections;
    if (auto m = need(db.setting(mp::SettingMaxConnections))) max_connections = std::max(1, std::atoi(m->c_str()));
    const auto engine_pid = mp::EngineLock::holder(ctx.data_dir);
    std::map<std::int64_t, std::int64_t> published_next;
    if (engine_pid)
        if (auto n = need(db.setting(mp::SettingNextChecks)))
            for (auto [id, t] : mp::parse_next_checks(*n)) published_next[id] = t;
    std::map<std::int64_t, mp::PassRecord> last;
    for (auto& p : need(db.last_passes())) last[p.account_id] = p;
    const auto office = need(db.office_server());
    // Today's counts per account (local midnight on), from the history.
    const std::int64_t now = std::time(nullptr);
    std::int64_t midnight = 0;
    {
        std::tm tm = mailporter::local_tm(static_cast<std::time_t>(now));
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        midnight = std::mktime(&tm);
    }
    struct Today {
        int delivered = 0, refused = 0, skipped = 0;
    };
    std::map<std::string, Today> today;  // by lower-case name
    auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    for (const auto& h : need(db.history(std::nullopt, 100000))) {
        if (h.time < midnight) break;
        auto& t = today[lower(h.account)];
        if (h.outcome == mp::HistoryRecord::Outcome::Delivered)
            ++t.delivered;
        else if (h.outcome == mp::HistoryRecord::Outcome::Refused)
            ++t.refused;
        else if (h.outcome == mp::HistoryRecord::Outcome::Skipped)
            ++t.skipped;
    }

    struct Row {
        mp::Account account;
        mp::Status status;
        std::optional<mp::PassRecord> pass;
        std::int64_t next = 0;  // 0: none (paused, disabled, waiting for an edit)
        Today today;
    };
    std::vector<Row> rows;
    std::vector<mp::PassReport> reports;
    mp::Colour overall = mp::Colour::Green;
    for (auto& acc : need(db.accounts())) {
        Row row{acc, mp::Status{}, std::nullopt, 0, today[lower(acc.name)]};
        auto it = last.find(acc.id);
        if (it != last.end()) {
            row.pass = it->second;
            reports.push_back(mp::report_of(it->second, acc.name));
            row.status = mp::account_status(reports.back());
        }
        if (engine_pid) {
            if (auto n = published_next.find(acc.id); n != published_next.end()) row.next = n->second;
        } else if (row.pass && row.pass->retry != "never") {
            // A failure only the user can fix (wrong password, bad settings)
            // is not retried until the account is edited.
            row.next =
                row.pass->checked_at + 60LL * (acc.interval_minutes > 0 ? acc.interval_minutes : default_minutes);
        }
        if (paused || !acc.enabled) row.next = 0;
        if (paused && row.status.colour != mp::Colour::Red) row.status = mp::paused_status();
        if (acc.enabled) overall = mp::worst(overall, row.status.colour);
        rows.push_back(std::move(row));
    }
    mp::Status office_st = mp::office_status(reports);
    if (!office)
        office_st = mp::Status{mp::Colour::Yellow, mp::StatusCode::ConfigInvalid, "no office server is configured"};
    overall = mp::worst(overall, office_st.colour);
    const auto opt_time = [](std::int64_t t) { return t ? std::to_string(t) : std::string("null"); };

    if (json) {
        std::cout << "{\"colour\":\"" << mp::to_string(overall) << "\",\"scheduler\":\""
                  << (paused ? "paused" : "running")
                  << "\",\"engine_pid\":" << (engine_pid ? std::to_string(*engine_pid) : "null")
                  << ",\"max_connections\":" << max_connections << ",\"default_interval_minutes\":" << default_minutes
                  << ",\"secret_store\":\"" << ctx.shown_secret_store() << "\",\"office\":{\"colour\":\""
                  << mp::to_string(office_st.colour) << "\",\"code\":\"" << mp::to_string(office_st.code)
                  << "\",\"sentence\":\"" << json_escape(office_st.sentence()) << "\",\"detail\":\""
                  << json_escape(office_st.detail) << "\",\"host\":\"" << (office ? json_escape(office->host) : "")
                  << "\",\"port\":" << (office ? std::to_string(office->port) : "null") << "},\"accounts\":[";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            std::cout << (i ? "," : "") << "{\"name\":\"" << json_escape(r.account.name) << "\",\"id\":" << r.account.id
                      << ",\"enabled\":" << (r.account.enabled ? "true" : "false") << ",\"colour\":\""
                      << mp::to_string(r.status.colour) << "\",\"code\":\"" << mp::to_string(r.status.code)
                      << "\",\"sentence\":\"" << json_escape(r.status.sentence()) << "\",\"detail\":\""
                      << json_escape(r.status.detail)
                      << "\",\"last_check\":" << (r.pass ? std::to_string(r.pass->checked_at) : "null")
                      << ",\"next_check\":" << opt_time(r.next) << ",\"listed\":" << (r.pass ? r.pass->listed : 0)
                      << ",\"delivered\":" << (r.pass ? r.pass->delivered : 0)
                      << ",\"deleted\":" << (r.pass ? r.pass->deleted : 0)
                      << ",\"kept\":" << (r.pass ? r.pass->kept : 0)
                      << ",\"notices\":" << json_list(r.pass ? r.pass->notices : std::vector<std::string>{})
                      << ",\"today\":{\"delivered\":" << r.today.delivered << ",\"refused\":" << r.today.refused
                      << ",\"skipped\":" << r.today.skipped << "}}";
        }
        std::cout << "]}\n";
        return ExitOk;
    }
    std::cout << "MailPorter: " << mp::to_string(overall) << "; scheduler " << (paused ? "paused" : "running")
              << (engine_pid ? "; engine running (process " + std::to_string(*engine_pid) + ")" : "; no engine running")
              << "; up to " << max_connections << " connections at once; passwords: "
              << (ctx.shown_secret_store() == "not chosen yet" ? std::string("no store chosen yet")
                                                               : ctx.shown_secret_store() + " store")
              << "\n";
    std::cout << "office server "
              << (office ? office->host + ":" + std::to_string(office->port) : std::string("(none)")) << ": "
              << mp::to_string(office_st.colour) << " (" << mp::to_string(office_st.code) << ") — "
              << office_st.sentence() << "\n";
    for (const auto& r : rows) {
        std::cout << r.account.name << ": ";
        if (!r.account.enabled) {
            std::cout << "disabled (not checked; enable it with: mailporter-cli account edit " << r.account.name
                      << " --enabled)\n";
            continue;
        }
        std::cout << mp::to_string(r.status.colour) << " (" << mp::to_string(r.status.code) << ") — "
                  << r.status.sentence();
        if (!r.status.detail.empty()) std::cout << "\n    " << r.status.detail;
        std::cout << "\n    last check " << (r.pass ? local_time(r.pass->checked_at) : std::string("never"))
                  << ", next "
                  << (paused   ? std::string("when resumed")
                      : r.next ? local_time(r.next)
                      : r.pass && r.pass->error_code == "sign-in-needed" && !r.pass->office_failed
                          ? "after you sign in again (mailporter-cli account signin " + r.account.name + ")"
                      : r.pass && r.pass->retry == "never" ? std::string("after the account is edited")
                                                           : std::string("shortly"));
        if (r.pass)
            std::cout << "; last pass " << r.pass->delivered << " delivered, " << r.pass->deleted << " deleted, "
                      << r.pass->kept << " kept";
        std::cout << "; today " << r.today.delivered << " delivered";
        if (r.today.refused) std::cout << ", " << r.today.refused << " refused";
        if (r.today.skipped) std::cout << ", " << r.today.skipped << " skipped";
        std::cout << "\n";
    }
    return ExitOk;
}

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

int cmd_run(Context& ctx, const Args& a) {
    a.reject_unknown();
    // Say who holds the data directory before asking for any password.
    need(mp::ensure_private_dir(ctx.data_dir));
    if (auto holder = mp::EngineLock::holder(ctx.data_dir))
        throw Failure{"process " + std::to_string(*holder) + " holds " + ctx.data_dir.string() +
                      " (another mailporter engine is running on this data directory)"};
    ctx.secret_store();
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::cerr << "mailporter-cli: engine running on " << ctx.data_dir.string() << "; passwords in the "
              << ctx.secret_store_kind << " store (" << ctx.secret_store_why << "); Ctrl-C or SIGTERM stops it\n";
    auto& db = ctx.database();
    const auto accounts = need(db.accounts());
    const auto office = need(db.office_server());
    if (accounts.empty() || !office) {
        // The engine waits and picks up what is added meanwhile (within a second).
        const std::string cli = "mailporter-cli --data-dir " + ctx.data_dir.string();
        std::cerr << "mailporter-cli: nothing to fetch yet; the engine waits. In another terminal:\n";
        if (!office) std::cerr << "  " << cli << " server set --host mail.office.local --port 25 --tls starttls\n";
        if (accounts.empty())
            std::cerr << "  printf '%s' 'the-password' | " << cli
                      << " account add info --protocol pop3 --host pop.provider.example --user info@example.com"
                         " --password-stdin --deliver-to info@office.local\n";
        std::cerr << "(README.md, \"Add an account\", explains every option.)\n";
    }
    const std::string store_line =
        "passwords are kept in the " + ctx.secret_store_kind + " store (" + ctx.secret_store_why + ")";
    mp::ServiceOptions o;
    o.data_dir = ctx.data_dir;
    o.secrets = std::move(ctx.secrets);
    o.relay.secret_store_kind = ctx.secret_store_kind;
    if (ctx.verbose)
        o.relay.transcript = [](const std::string& who, char dir, std::string_view line) {
            std::cerr << "[" << who << "] " << dir << ' ' << line << "\n";
        };
    o.stop_requested = [] { return g_stop.load(); };
    const bool verbose = ctx.verbose;
    // The engine stores every log line; here they are printed.
    o.on_event = [verbose](const mp::Event& e) {
        if (const auto* l = std::get_if<mp::LogLine>(&e)) {
            if (l->level == mp::LogLevel::Debug && !verbose) return;
            (l->level >= mp::LogLevel::Warning ? std::cerr : std::cout)
                << (l->account.empty() ? std::string() : "[" + l->account + "] ") << l->text << std::endl;
        }
    };
    o.notes = {store_line};
    // The engine opens its own connection: this one goes first (two in one
    // process gain nothing, and SQLite's POSIX locks are per process).
    ctx.db.reset();
    auto r = mp::run_service(std::move(o));
    if (!r) {
        if (r.error().code == mp::Errc::Busy)
            throw Failure{r.error().detail + " (another mailporter engine is running on this data directory)"};
        throw Failure{r.error().detail};
    }
    std::cerr << "mailporter-cli: stopped\n";
    return ExitOk;
}

int cmd_pause_resume(Context& ctx, bool pause, const Args& a) {
    a.reject_unknown();
    need(ctx.database().set_setting(mp::SettingPaused, pause ? "1" : "0"));
    const auto pid = mp::EngineLock::holder(ctx.data_dir);
    std::cout << "scheduler " << (pause ? "paused" : "resumed")
              << (pid ? " (the running engine, process " + std::to_string(*pid) + ", follows within a second)" : "")
              << "\n";
    return ExitOk;
}

int cmd_retry(Context& ctx, const std::vector<std::string>& words) {
    if (words.size() != 1) throw UsageError{"retry needs an account name"};
    auto& db = ctx.database();
    const auto a = need(db.find_account(words[0]));
    if (!a) {
        std::cerr << "mailporter-cli: no account named '" << words[0] << "'\n";
        return ExitFailed;
    }
    const int n = need(mp::retry_refused(db, a->id));
    const auto pid = mp::EngineLock::holder(ctx.data_dir);
    if (pid && n > 0)
        need(
            db.set_setting(mp::SettingCheckNow, std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid())));
    std::cout << n << " held message(s) of " << a->name << " will be tried again"
              << (n == 0 ? ""
                  : pid  ? " now (by the running engine)"
                         : " at the next pass")
              << "\n";
    return ExitOk;
}

// The chosen settings (mailporter/settings.h declares them, with their
// bounds and defaults); the second route's password goes to the secret store.
int cmd_settings(Context& ctx, const std::vector<std::string>& words) {
    auto& db = ctx.database();
    if (words.empty() || (words.size() == 1 && words[0] == "show")) {
        for (const auto& spec : mp::user_settings()) {
            const auto v = need(db.setting(spec.key));
            const std::string value = v ? *v : spec.fallback();
            std::cout << spec.name << " = "
                      << (value.empty() && !spec.shown_empty.empty() ? std::string(spec.shown_empty) : value)
                      << (v ? "" : " (default)") << "\n";
        }
        return ExitOk;
    }
    if (set_alert_password(ctx, words)) return ExitOk;
    if (words[0] != "set" || words.size() != 3) throw UsageError{"use: settings show | settings set NAME VALUE"};
    const auto* spec = mp::find_setting(words[1]);
    if (!spec) throw UsageError{"unknown setting '" + words[1] + "' (see: mailporter-cli settings show)"};
    auto value = mp::check_setting(*spec, words[2]);
    if (!value) throw UsageError{value.error().detail};
    need(db.set_setting(spec->key, *value));
    std::cout << spec->name << " = "
              << (value->empty() && !spec->shown_empty.empty() ? std::string(spec->shown_empty) : *value) << "\n";
    return ExitOk;
}

int cmd_log(Context& ctx, const Args& a) {
    const auto account = a.get("account");
    const int limit = a.get("limit") ? parse_int("--limit", *a.get("limit"), 1, 1000000) : 100;
    const bool follow = a.flag("follow");
    a.reject_unknown();
    static const char* Levels[] = {"debug", "info", "warning", "error"};
    auto print = [](const mp::LogRecord& r) {
        std::cout << local_time(r.time) << "  " << Levels[std::clamp(r.level, 0, 3)] << "  "
                  << (r.account.empty() ? std::string() : "[" + r.account + "] ") << r.text << std::endl;
    };
    std::int64_t last = -1;  // the newest `limit` lines first
    for (const auto& r : need(ctx.database().log(account, last, limit))) {
        print(r);
        last = r.id;
    }
    if (!follow) return ExitOk;
    if (last < 0) last = 0;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    while (!g_stop) {
        for (const auto& r : need(ctx.database().log(account, last, 1000))) {
            print(r);
            last = r.id;
        }
        for (int i = 0; i < 5 && !g_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    mailporter::disable_core_dumps();
    std::vector<std::string> args(argv + 1, argv + argc);
    Context ctx;
    std::optional<std::string> data_dir, store;
    std::vector<std::string> rest;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const auto& w = args[i];
            if (!rest.empty()) {
                rest.push_back(w);
                continue;
            }
            if (w == "--version") {
                std::cout << "mailporter-cli " << MAILPORTER_VERSION << "\n";
                return ExitOk;
            }
            if (w == "-h" || w == "--help" || w == "help") {
                std::cout << Usage;
                return ExitOk;
            }
            if (w == "-v" || w == "--verbose")
                ctx.verbose = true;
            else if (w == "--data-dir" || w == "--secret-store") {
                if (i + 1 >= args.size()) throw UsageError{w + " needs a value"};
                (w == "--data-dir" ? data_dir : store) = args[++i];
            } else if (w.rfind("--data-dir=", 0) == 0)
                data_dir = w.substr(11);
            else if (w.rfind("--secret-store=", 0) == 0)
                store = w.substr(15);
            else if (w.rfind("-", 0) == 0)
                throw UsageError{"unknown option " + w};
            else
                rest.push_back(w);
        }
        if (rest.empty()) throw UsageError{"no command given"};
        ctx.data_dir = data_dir ? std::filesystem::path(*data_dir) : mp::default_data_dir();
        if (!store) {
            if (const char* e = std::getenv("MAILPORTER_SECRET_STORE"); e && *e) store = e;
        }
        ctx.secret_store_kind = store.value_or("auto");
        if (ctx.secret_store_kind != "auto" && ctx.secret_store_kind != "keyring" && ctx.secret_store_kind != "file")
            throw UsageError{"--secret-store must be auto, keyring or file, not '" + ctx.secret_store_kind + "'"};

        const std::string cmd = rest[0];
        if (cmd == "pause" || cmd == "resume")
            return cmd_pause_resume(ctx, cmd == "pause", Args({rest.begin() + 1, rest.end()}, {}));
        if (cmd == "status") return cmd_status(ctx, Args({rest.begin() + 1, rest.end()}, {"json"}));
        if (cmd == "stats") return cmd_stats(ctx, Args({rest.begin() + 1, rest.end()}, {"json"}));
        if (cmd == "retry") return cmd_retry(ctx, {rest.begin() + 1, rest.end()});
        if (cmd == "settings") return cmd_settings(ctx, {rest.begin() + 1, rest.end()});
        if (cmd == "alert") return cmd_alert(ctx, {rest.begin() + 1, rest.end()});
        if (cmd == "history" || cmd == "log") {
            Args a({rest.begin() + 1, rest.end()}, {"json", "follow"});
            return cmd == "history" ? cmd_history(ctx, a) : cmd_log(ctx, a);
        }
        if (cmd == "run") {
            return cmd_run(ctx, Args({rest.begin() + 1, rest.end()}, {}));
        }
        if (cmd == "service") {
            if (rest.size() < 2) throw UsageError{"service needs install, uninstall, start, stop, status or run"};
            return mp::cli::cmd_service(
                ctx, rest[1], Args({rest.begin() + 2, rest.end()}, {}), data_dir.has_value(),
                [&ctx] { return cmd_run(ctx, Args({}, {})); }, [] { g_stop = true; });
        }
        if (cmd == "poll") {
            return cmd_poll(ctx, Args({rest.begin() + 1, rest.end()}, {}));
        }
        if (cmd == "import") return mp::cli::cmd_import(ctx, {rest.begin() + 1, rest.end()});
        if (cmd == "export") return mp::cli::cmd_export(ctx, Args({rest.begin() + 1, rest.end()}, {"passwords"}));
        if (cmd == "server" || cmd == "account") {
            if (rest.size() < 2) throw UsageError{cmd + " needs a subcommand"};
            Args a(
                {rest.begin() + 2, rest.end()},
                {"password-stdin", "allow-legacy-tls", "disabled", "enabled", "json", "catch-all", "individual", "idle",
                 "no-idle", "no-probe", "allow-plain", "app-only", "device", "browser", "client-secret-stdin"});
            if (cmd == "account" && rest[1] == "detect") return cmd_account_detect(ctx, a);
            return cmd == "server" ? cmd_server(ctx, rest[1], a) : cmd_account(ctx, rest[1], a);
        }
        throw UsageError{"unknown command '" + cmd + "'"};
    } catch (const UsageError& e) {
        std::cerr << "mailporter-cli: " << e.text << "\n(see mailporter-cli --help)\n";
        return ExitUsage;
    } catch (const Failure& e) {
        std::cerr << "mailporter-cli: error: " << e.text << "\n";
        return ExitFailed;
    } catch (const std::exception& e) {
        std::cerr << "mailporter-cli: error: " << e.what() << "\n";
        return ExitFailed;
    }
}
