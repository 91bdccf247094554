// account add|edit|list|remove|test|signin|detect: the remote boxes mail is
// fetched from. The password goes with the account through the Workspace.

#include <cstdint>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "detect_cli.h"
#include "signin_cli.h"
#include "mailporter/detect.h"
#include "mailporter/relay.h"
#include "mailporter/signin.h"

namespace mailporter::cli {

namespace {

void apply_delivery_options(const Args& a, mp::Account& acc, bool adding) {
    if (auto d = a.get("deliver-to")) acc.deliver_to = *d;
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
    if (auto l = a.get("leave")) acc.leave = need(mp::parse_leave_policy(*l));
    if (auto n = a.get("max-per-pass")) acc.max_per_pass = parse_int("--max-per-pass", *n, 0, 1000000);
    if (auto m = a.get("max-size"))
        acc.max_size_bytes = static_cast<std::int64_t>(parse_int("--max-size", *m, 0, 100000)) * 1024 * 1024;
    if (auto i = a.get("interval")) acc.interval_minutes = parse_int("--interval", *i, 1, 1440);
    apply_delivery_options(a, acc, adding);
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
        o = detect_options_from_env();
    } catch (const std::invalid_argument& e) {
        throw UsageError{e.what()};
    }
    o.probe = !a.flag("no-probe");
    o.allow_plain = a.flag("allow-plain");
    if (auto p = a.get("prefer")) o.prefer = need(mp::parse_protocol(*p));
    if (ctx.verbose) o.progress = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
    return o;
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
    if (ctx.verbose) print_detection(d, std::cerr);
    const bool oauth = a.has("auth") && *a.get("auth") == "oauth2";
    auto found = account_for_add(d, o.trusted_sha256, oauth);
    if (!found.account) throw Failure{found.why_not};
    const auto& x = *found.account;
    std::cout << "detected " << mp::to_string(x.protocol) << "://" << x.user << "@" << x.host << ":" << x.port << " ("
              << mp::to_string(x.tls.mode) << ") from " << found.source << "\n";
    return x;
}

// One account of `account list --json` (the man page lists the fields).
nlohmann::ordered_json account_json(const mp::Account& x) {
    nlohmann::ordered_json j;
    j["name"] = x.name;
    j["protocol"] = mp::to_string(x.protocol);
    j["host"] = x.host;
    j["port"] = x.port;
    j["tls"] = mp::to_string(x.tls.mode);
    j["user"] = x.user;
    j["deliver_to"] = x.deliver_to;
    j["leave"] = mp::to_string(x.leave);
    j["max_per_pass"] = x.max_per_pass;
    j["max_size_bytes"] = x.max_size_bytes;
    j["interval_minutes"] = x.interval_minutes;
    j["catch_all"] = x.catch_all;
    j["domains"] = x.domains;
    j["fallback"] = x.fallback;
    j["envelope_headers"] = x.envelope_headers;
    j["trust_fingerprint"] = x.tls.pinned_sha256;
    j["trust_key"] = x.tls.pinned_key_sha256;
    j["trust_issuer"] = x.tls.pinned_ca_sha256;
    j["allow_legacy_tls"] = x.tls.allow_legacy_tls;
    j["enabled"] = x.enabled;
    j["folders"] = x.folders;
    j["idle"] = x.idle;
    j["folder_delivery"] = mp::to_string(x.folder_delivery);
    return j;
}

std::string account_line(const mp::Account& x) {
    const std::string to =
        x.catch_all ? "catch-all " + join(x.domains) + (x.fallback.empty() ? std::string() : ", fallback " + x.fallback)
                    : x.deliver_to;
    std::string imap;
    if (x.protocol == mp::Protocol::Imap)
        imap = "  folders " + (x.folders.empty() ? std::string("INBOX") : join(x.folders)) + (x.idle ? "  idle" : "") +
               (x.folder_delivery != mp::FolderDelivery::One
                    ? "  folder delivery " + std::string(mp::to_string(x.folder_delivery))
                    : std::string());
    return x.name + "  " + std::string(mp::to_string(x.protocol)) + "://" + x.user + "@" + x.host + ":" +
           std::to_string(x.port) + " (" + std::string(mp::to_string(x.tls.mode)) + ") -> " + to + "  leave " +
           std::string(mp::to_string(x.leave)) + imap + (x.enabled ? "" : "  [disabled]");
}

int account_list(Context& ctx, const Args& a) {
    const bool json = a.flag("json");
    a.reject_unknown();
    const auto accounts = need(ctx.workspace().accounts());
    if (json) {
        auto list = nlohmann::ordered_json::array();
        for (const auto& x : accounts) list.push_back(account_json(x));
        std::cout << list.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    } else if (accounts.empty()) {
        std::cout << "no accounts; add one with: mailporter-cli account add NAME ...\n";
    } else {
        for (const auto& x : accounts) std::cout << account_line(x) << "\n";
    }
    return ExitOk;
}

// What `account add` must be given before anything is asked or detected.
void check_add_options(const Args& a, bool detect, bool oauth) {
    for (const char* o : {"protocol", "host", "tls", "user"})
        if (!detect && !a.has(o))
            throw UsageError{"account add needs --" + std::string(o) + " (or --address to detect)"};
    if (!oauth && !a.has("password-stdin"))
        throw UsageError{"account add needs --password-stdin (or --auth oauth2 --provider ... to sign in instead)"};
    if (oauth && a.has("password-stdin")) throw UsageError{"an OAuth2 account has no password (--password-stdin)"};
    if (!a.has("deliver-to") && !a.has("catch-all"))
        throw UsageError{
            "account add needs --deliver-to ADDR (individual box) or --catch-all --domain D (catch-all box)"};
}

int account_add(Context& ctx, const std::string& name, const Args& a) {
    auto& ws = ctx.workspace();
    const bool detect = a.has("address");
    const bool oauth = a.has("auth") && *a.get("auth") == "oauth2";
    check_add_options(a, detect, oauth);
    mp::Account acc;
    std::optional<std::string> pw;
    if (detect) {
        if (need(ws.find_account(name))) throw Failure{"an account named '" + name + "' already exists"};
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
    if (need(ws.find_account(name))) throw Failure{"an account named '" + name + "' already exists"};
    if (!oauth && !pw) pw = read_password_stdin();
    need(ws.add_account(acc, pw));
    std::cout << "account " << name << " added (" << mp::to_string(acc.protocol) << "://" << acc.host << ":"
              << acc.port;
    if (oauth)
        std::cout << ", OAuth2 via " << acc.oauth.provider << ")\nnow sign in: mailporter-cli account signin " << name
                  << "\n";
    else
        std::cout << ", password in the " << ws.secret_store_kind() << " store)\n";
    return ExitOk;
}

int account_edit(Context& ctx, mp::Account acc, const Args& a) {
    apply_account_options(a, acc, false);
    apply_oauth_options(a, acc.oauth);
    if (auto new_name = a.get("name")) acc.name = *new_name;
    const bool pw = a.flag("password-stdin");
    a.reject_unknown();
    need(mp::validate(acc));
    // A new password replaces the old; a rename takes the old one along.
    need(ctx.workspace().update_account(acc, pw ? std::optional<std::string>(read_password_stdin()) : std::nullopt));
    std::cout << "account " << acc.name << " updated\n";
    return ExitOk;
}

// `name` as typed (the account's own may differ in case).
int account_remove(Context& ctx, const mp::Account& acc, const std::string& name, const Args& a) {
    a.reject_unknown();
    // A keyring that cannot be reached now keeps the password; that is
    // reported, not fatal: the account is gone.
    if (auto warning = need(ctx.workspace().remove_account(acc.id)))
        std::cerr << "mailporter-cli: warning: " << *warning << "\n";
    std::cout << "account " << name << " removed\n";
    return ExitOk;
}

int account_test(Context& ctx, const mp::Account& acc, const std::string& name, const Args& a) {
    a.reject_unknown();
    if (!acc.uses_oauth() && !need(ctx.workspace().account_secret(acc.name)))
        throw Failure{"no password stored for account " + name + "; set it with: mailporter-cli account edit " + name +
                      " --password-stdin"};
    auto d = mp::test_signed_in_account(ctx.secret_store(), acc, ctx.relay_options());
    print_diagnosis(d, "account edit " + name);
    return d.ok() ? ExitOk : ExitFailed;
}

}  // namespace

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
    print_detection(d, std::cout);
    return d.best ? ExitOk : ExitFailed;
}

int cmd_account(Context& ctx, const std::string& sub, const Args& a) {
    if (sub == "list") return account_list(ctx, a);
    const auto& pos = a.positional();
    if (pos.empty()) throw UsageError{"account " + sub + " needs the account NAME"};
    const std::string& name = pos.front();
    if (pos.size() > 1) throw UsageError{"unexpected argument '" + pos[1] + "'"};
    if (sub == "add") return account_add(ctx, name, a);
    auto found = need(ctx.workspace().find_account(name));
    if (!found) throw Failure{"no account named '" + name + "' (see: mailporter-cli account list)"};
    if (sub == "edit") return account_edit(ctx, *found, a);
    if (sub == "remove") return account_remove(ctx, *found, name, a);
    if (sub == "signin") return cmd_account_signin(ctx, *found, a);
    if (sub == "test") return account_test(ctx, *found, name, a);
    throw UsageError{"unknown account command '" + sub + "'"};
}

}  // namespace mailporter::cli
