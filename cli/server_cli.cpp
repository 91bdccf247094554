// server set|show|test|verify|signin: the office server the mail goes to.

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "commands.h"
#include "signin_cli.h"
#include "mailporter/relay.h"
#include "mailporter/signin.h"

namespace mailporter::cli {

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

namespace {

int server_set(Context& ctx, const Args& a) {
    auto& ws = ctx.workspace();
    auto current = need(ws.office_server());
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
    if (!s.user.empty() && !pw && !s.uses_oauth() && !(current && current->user == s.user && !current->uses_oauth()))
        throw UsageError{"--user needs --password-stdin (or --auth oauth2 --provider ...)"};
    need(mp::validate(s));
    if (pw) {
        if (s.user.empty()) throw UsageError{"--password-stdin needs --user"};
        need(ws.set_office_secret(read_password_stdin()));
    }
    need(ws.set_office_server(s));
    std::cout << "office server set: " << s.host << ":" << s.port << " (" << mp::to_string(s.tls.mode) << ")\n";
    if (s.uses_oauth() && !(current && current->oauth == s.oauth && current->user == s.user))
        std::cout << "now sign in: mailporter-cli server signin\n";
    return ExitOk;
}

int server_show(const mp::OfficeServer& s) {
    const auto or_none = [](const std::string& v) { return v.empty() ? std::string("(none)") : v; };
    std::cout << "host: " << s.host << "\nport: " << s.port << "\ntls: " << mp::to_string(s.tls.mode)
              << "\nuser: " << or_none(s.user)
              << (s.uses_oauth() ? " (OAuth2 via " + s.oauth.provider + ")" : std::string())
              << "\nhelo: " << (s.helo_name.empty() ? "(this machine's name)" : s.helo_name)
              << "\ntrusted fingerprint: " << or_none(s.tls.pinned_sha256)
              << "\ntrusted public key: " << or_none(s.tls.pinned_key_sha256)
              << "\ntrusted issuer: " << or_none(s.tls.pinned_ca_sha256) << "\n";
    return ExitOk;
}

int server_test(Context& ctx, const mp::OfficeServer& s) {
    const auto pw =
        s.uses_oauth() ? std::nullopt : std::optional<std::string>(need(ctx.workspace().office_secret()).value_or(""));
    auto d = mp::test_signed_in_office(ctx.secret_store(), s, pw, ctx.relay_options());
    print_diagnosis(d, "server set");
    return d.ok() ? ExitOk : ExitFailed;
}

// RCPT TO + RSET per address: does the office server take mail for it?
int server_verify(Context& ctx, const mp::OfficeServer& s, const Args& a) {
    if (a.positional().empty()) throw UsageError{"server verify needs at least one ADDRESS"};
    // What the office login uses: the password, or a current OAuth2 access token.
    std::string secret;
    if (!s.user.empty())
        secret = s.uses_oauth() ? need(mp::office_access_token(ctx.secret_store(), s, false))
                                : need(ctx.workspace().office_secret()).value_or("");
    auto checks = mp::verify_recipients(s, secret, a.positional(), ctx.relay_options());
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

}  // namespace

int cmd_server(Context& ctx, const std::string& sub, const Args& a) {
    if (sub == "set") return server_set(ctx, a);
    auto s = need(ctx.workspace().office_server());
    if (!s)
        throw Failure{"no office server is configured; use: mailporter-cli server set --host H --port P --tls MODE"};
    if (sub == "signin") return cmd_server_signin(ctx, *s, a);
    a.reject_unknown();
    if (sub == "show") return server_show(*s);
    if (sub == "test") return server_test(ctx, *s);
    if (sub == "verify") return server_verify(ctx, *s, a);
    throw UsageError{"unknown server command '" + sub + "'"};
}

}  // namespace mailporter::cli
