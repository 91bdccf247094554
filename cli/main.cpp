// mailporter-cli: the headless front-end. Same engine, same data directory as
// the tray app. Errors are one clear line and a non-zero exit. The commands
// live one group to a file (commands.h); this file reads the options before
// the command and dispatches.

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "alert_cli.h"
#include "commands.h"
#include "import_cli.h"
#include "stats_cli.h"
#include "windows_service.h"
#include "mailporter/data_dir.h"
#include "mailporter/engine.h"
#include "mailporter/version.h"

namespace mp = mailporter;
using namespace mailporter::cli;

namespace {

const char* const Usage =
    R"(usage: mailporter-cli [--data-dir DIR] [--secret-store auto|keyring|file] [-v|--verbose] COMMAND

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

// The options before the command, and the command's words.
struct Command {
    std::optional<std::string> data_dir, store;
    std::vector<std::string> words;
};

// Fills `c` from the command line; an exit code when that was all
// (--version, --help).
std::optional<int> read_command_line(const std::vector<std::string>& args, Context& ctx, Command& c) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& w = args[i];
        if (!c.words.empty()) {
            c.words.push_back(w);
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
            (w == "--data-dir" ? c.data_dir : c.store) = args[++i];
        } else if (w.rfind("--data-dir=", 0) == 0)
            c.data_dir = w.substr(11);
        else if (w.rfind("--secret-store=", 0) == 0)
            c.store = w.substr(15);
        else if (w.rfind('-', 0) == 0)
            throw UsageError{"unknown option " + w};
        else
            c.words.push_back(w);
    }
    if (c.words.empty()) throw UsageError{"no command given"};
    ctx.data_dir = c.data_dir ? std::filesystem::path(*c.data_dir) : mp::default_data_dir();
    if (!c.store)
        if (const char* e = std::getenv("MAILPORTER_SECRET_STORE"); e && *e) c.store = e;
    ctx.secret_store_kind = c.store.value_or("auto");
    if (ctx.secret_store_kind != "auto" && ctx.secret_store_kind != "keyring" && ctx.secret_store_kind != "file")
        throw UsageError{"--secret-store must be auto, keyring or file, not '" + ctx.secret_store_kind + "'"};
    return std::nullopt;
}

// server and account: the subcommand, then the options.
int dispatch_server_account(Context& ctx, const std::vector<std::string>& words) {
    const std::string& cmd = words[0];
    if (words.size() < 2) throw UsageError{cmd + " needs a subcommand"};
    Args a({words.begin() + 2, words.end()},
           {"password-stdin", "allow-legacy-tls", "disabled", "enabled", "json", "catch-all", "individual", "idle",
            "no-idle", "no-probe", "allow-plain", "app-only", "device", "browser", "client-secret-stdin"});
    if (cmd == "account" && words[1] == "detect") return cmd_account_detect(ctx, a);
    return cmd == "server" ? cmd_server(ctx, words[1], a) : cmd_account(ctx, words[1], a);
}

int dispatch(Context& ctx, const Command& c) {
    const auto& words = c.words;
    const std::string cmd = words[0];
    const std::vector<std::string> rest(words.begin() + 1, words.end());
    if (cmd == "pause" || cmd == "resume") return cmd_pause_resume(ctx, cmd == "pause", Args(rest, {}));
    if (cmd == "status") return cmd_status(ctx, Args(rest, {"json"}));
    if (cmd == "stats") return cmd_stats(ctx, Args(rest, {"json"}));
    if (cmd == "retry") return cmd_retry(ctx, rest);
    if (cmd == "settings") return cmd_settings(ctx, rest);
    if (cmd == "alert") return cmd_alert(ctx, rest);
    if (cmd == "history") return cmd_history(ctx, Args(rest, {"json", "follow"}));
    if (cmd == "log") return cmd_log(ctx, Args(rest, {"json", "follow"}));
    if (cmd == "run") return cmd_run(ctx, Args(rest, {}));
    if (cmd == "service") {
        if (words.size() < 2) throw UsageError{"service needs install, uninstall, start, stop, status or run"};
        return cmd_service(
            ctx, words[1], Args({words.begin() + 2, words.end()}, {}), c.data_dir.has_value(),
            [&ctx] { return cmd_run(ctx, Args({}, {})); }, [] { stop_requested = true; });
    }
    if (cmd == "poll") return cmd_poll(ctx, Args(rest, {}));
    if (cmd == "import") return cmd_import(ctx, rest);
    if (cmd == "export") return cmd_export(ctx, Args(rest, {"passwords"}));
    if (cmd == "server" || cmd == "account") return dispatch_server_account(ctx, words);
    throw UsageError{"unknown command '" + cmd + "'"};
}

}  // namespace

int main(int argc, char** argv) {
    mailporter::disable_core_dumps();
    const std::vector<std::string> args(argv + 1, argv + argc);
    Context ctx;
    try {
        Command c;
        if (auto done = read_command_line(args, ctx, c)) return *done;
        return dispatch(ctx, c);
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
