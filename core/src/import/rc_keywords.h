#pragma once
// fetchmail's keywords that MailPorter has no equivalent for, each with what
// it takes and why it is not imported (fetchmail(1), "THE RUN CONTROL FILE").
// The keywords that do map are handled by name in fetchmailrc.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "import/rc_lexer.h"

namespace mailporter::import {

enum class Shape {
    Flag,   // a boolean, "no" before it turns it off
    Value,  // one value
    List,   // values until the next keyword
};

struct Unmappable {
    std::string_view name;
    Shape shape;
    // Why the keyword (or, for a flag, the keyword on) is not imported;
    // why_off: the flag turned off ("no keyword"); nullptr: that is what
    // MailPorter does anyway, so it maps.
    const char* why;
    const char* why_off = nullptr;
};

inline constexpr const char* NoSetting = "not a MailPorter setting; not imported";
inline constexpr const char* RelaysSmtp = "MailPorter relays over SMTP to the office server; not imported";
inline constexpr const char* Unchanged = "MailPorter relays messages unchanged; not imported";
inline constexpr const char* NoCommands = "MailPorter runs no commands; not imported";

inline constexpr Unmappable UnmappableKeywords[] = {
    {"flush", Shape::Flag, "deletes mail seen earlier; MailPorter deletes only what the office accepted"},
    {"limitflush", Shape::Flag, "deletes oversized mail; MailPorter keeps it remote and reports it"},
    {"rewrite", Shape::Flag, "rewrites addresses in headers; MailPorter relays headers unchanged"},
    {"stripcr", Shape::Flag, RelaysSmtp},
    {"forcecr", Shape::Flag, nullptr},  // SMTP has CRLF line ends: MailPorter sends them
    {"pass8bits", Shape::Flag, NoSetting},
    {"dropstatus", Shape::Flag, Unchanged},
    {"dropdelivered", Shape::Flag, Unchanged},
    {"mimedecode", Shape::Flag, Unchanged},
    {"dns", Shape::Flag, "multidrop DNS look-ups: MailPorter routes by the accepted domains; not imported"},
    {"checkalias", Shape::Flag, "multidrop DNS look-ups: MailPorter routes by the accepted domains; not imported"},
    {"uidl", Shape::Flag, nullptr, nullptr},  // MailPorter uses UIDL whenever the server has it
    {"showdots", Shape::Flag, "fetchmail's progress output; not imported"},
    {"tracepolls", Shape::Flag, "fetchmail's Received line; MailPorter adds its own trace line"},
    {"lmtp", Shape::Flag, RelaysSmtp},
    {"fastuidl", Shape::Value, nullptr},  // MailPorter lists every UIDL anyway
    {"timeout", Shape::Value, "MailPorter's own per-step timeouts apply; not imported"},
    {"mda", Shape::Value, RelaysSmtp},
    {"bsmtp", Shape::Value, RelaysSmtp},
    {"preconnect", Shape::Value, NoCommands},
    {"postconnect", Shape::Value, NoCommands},
    {"plugin", Shape::Value, "MailPorter connects directly (no plugin command); not imported"},
    {"plugout", Shape::Value, "MailPorter connects directly to the office server; not imported"},
    {"interface", Shape::Value, NoSetting},
    {"monitor", Shape::Value, NoSetting},
    {"principal", Shape::Value, "Kerberos is not supported; not imported"},
    {"esmtpname", Shape::Value,
     "SMTP login to the office server: set it with mailporter-cli server set --user U --password-stdin"},
    {"esmtppassword", Shape::Value,
     "SMTP login to the office server: set it with mailporter-cli server set --user U --password-stdin"},
    {"qvirtual", Shape::Value, "multidrop prefix stripping is not supported; not imported"},
    {"batchlimit", Shape::Value, "MailPorter renews office connections itself; not imported"},
    {"expunge", Shape::Value, "MailPorter expunges after each pass's deletions; not imported"},
    {"properties", Shape::Value, NoSetting},
    {"sslkey", Shape::Value, "TLS client certificates are not supported; not imported"},
    {"sslcert", Shape::Value, "TLS client certificates are not supported; not imported"},
    {"sslcertfile", Shape::Value,
     "MailPorter trusts the system's CAs or a pin (account edit NAME --trust-issuer SHA256); not imported"},
    {"sslcertpath", Shape::Value,
     "MailPorter trusts the system's CAs or a pin (account edit NAME --trust-issuer SHA256); not imported"},
    {"sslcommonname", Shape::Value, "MailPorter checks the certificate against the host name; not imported"},
    {"sslfingerprint", Shape::Value,
     "fetchmail's fingerprint is MD5, MailPorter pins SHA-256: it cannot be converted. Trust the "
     "certificate with account edit NAME --trust-fingerprint SHA256 (account test prints it); not imported"},
    {"warnings", Shape::Value, NoSetting},
    {"fetchsizelimit", Shape::Value, "MailPorter sizes its fetches itself; not imported"},
    {"bad-header", Shape::Value, "MailPorter relays messages unchanged; not imported"},
    {"aka", Shape::List, "multidrop server aliases: MailPorter routes by the accepted domains; not imported"},
    {"antispam", Shape::List, "MailPorter holds refused mail remote and reports it; not imported"},
    {"fetchdomains", Shape::List, "ETRN/ODMR domains: not supported; not imported"},
};

inline const Unmappable* find_unmappable(std::string_view lower_word) {
    for (const auto& k : UnmappableKeywords)
        if (k.name == lower_word) return &k;
    return nullptr;
}

// fetchmail's words by their role.
inline bool is_statement_start(const RcToken& t) {
    return t.is("poll") || t.is("skip") || t.is("server") || t.is("defaults") || t.is("set");
}

inline bool is_noise(const RcToken& t) {
    return t.is("and") || t.is("with") || t.is("has") || t.is("wants") || t.is("options") || t.is("here") ||
           t.is("there");
}

inline std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

inline constexpr const char* MappedKeywords[] = {
    "via",   "proto",        "protocol", "port",     "service",  "ssl",         "sslproto", "sslcertck",
    "keep",  "nokeep",       "fetchall", "user",     "username", "password",    "pass",     "is",
    "to",    "localdomains", "envelope", "smtphost", "smtpname", "smtpaddress", "folder",   "folders",
    "limit", "fetchlimit",   "interval", "idle",     "auth",     "no"};

inline bool is_keyword(const RcToken& t) {
    if (t.kind != RcToken::Kind::Word) return false;
    if (is_statement_start(t) || is_noise(t)) return true;
    const std::string w = lower(t.text);
    for (const char* k : MappedKeywords)
        if (w == k) return true;
    return find_unmappable(w) != nullptr;
}

inline std::optional<std::uint16_t> service_port(const std::string& s) {
    if (s == "pop3") return 110;
    if (s == "pop3s") return 995;
    if (s == "imap" || s == "imap2") return 143;
    if (s == "imaps") return 993;
    return std::nullopt;
}

}  // namespace mailporter::import
