// MailPorter's configuration as JSON (mailporter/config_file.h). Reading is
// strict: every member of version 1 must be there with its type, and no
// other, so that a typo is an error naming the field instead of a default.

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "mailporter/config_file.h"
#include "mailporter/workspace.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/service.h"
#include "mailporter/settings.h"

namespace mailporter {

namespace {

using nlohmann::json;
// Written in a fixed order (format and version first), read in any.
using ojson = nlohmann::ordered_json;

constexpr std::string_view Format = "mailporter-config";
constexpr int Version = 1;

Error bad(const std::string& where, const std::string& what) {
    return make_error(Errc::ConfigInvalid, where + ": " + what, ErrorScope::Local, Retry::Never);
}

ojson tls_json(const TlsSettings& t) {
    return {{"mode", to_string(t.mode)},
            {"pinned_sha256", t.pinned_sha256},
            {"pinned_key_sha256", t.pinned_key_sha256},
            {"pinned_ca_sha256", t.pinned_ca_sha256},
            {"pinned_issuer", t.pinned_issuer},
            {"pinned_not_after", t.pinned_not_after},
            {"allow_legacy_tls", t.allow_legacy_tls}};
}

ojson oauth_json(const OAuthSettings& o) {
    return {{"provider", o.provider}, {"tenant", o.tenant}, {"client_id", o.client_id}, {"app_only", o.app_only}};
}

ojson account_json(const Account& a) {
    return {{"name", a.name},
            {"protocol", to_string(a.protocol)},
            {"host", a.host},
            {"port", a.port},
            {"tls", tls_json(a.tls)},
            {"user", a.user},
            {"deliver_to", a.deliver_to},
            {"catch_all", a.catch_all},
            {"domains", a.domains},
            {"fallback", a.fallback},
            {"envelope_headers", a.envelope_headers},
            {"leave", to_string(a.leave)},
            {"folders", a.folders},
            {"idle", a.idle},
            {"folder_delivery", to_string(a.folder_delivery)},
            {"max_per_pass", a.max_per_pass},
            {"max_size_bytes", a.max_size_bytes},
            {"interval_minutes", a.interval_minutes},
            {"enabled", a.enabled},
            {"oauth", oauth_json(a.oauth)}};
}

// One JSON object read member by member; every member must be read, and
// what is left over is an unknown field.
class Reader {
public:
    Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

    Result<const json*> member(const std::string& name, json::value_t type, const char* type_name) {
        if (!j_.is_object()) return bad(where_, "expected an object");
        auto it = j_.find(name);
        if (it == j_.end()) return bad(path(name), "missing");
        seen_.insert(name);
        const bool ok = type == json::value_t::number_integer
                            ? it->is_number_integer()
                            : (type == json::value_t::object ? it->is_object() || it->is_null() : it->type() == type);
        if (!ok) return bad(path(name), std::string("expected ") + type_name);
        return &*it;
    }
    Result<std::string> text(const std::string& name) {
        auto m = member(name, json::value_t::string, "a string");
        if (!m) return m.error();
        return (*m)->get<std::string>();
    }
    Result<bool> flag(const std::string& name) {
        auto m = member(name, json::value_t::boolean, "true or false");
        if (!m) return m.error();
        return (*m)->get<bool>();
    }
    Result<std::int64_t> integer(const std::string& name, std::int64_t lo, std::int64_t hi) {
        auto m = member(name, json::value_t::number_integer, "a whole number");
        if (!m) return m.error();
        const auto v =
            (*m)->is_number_unsigned() && (*m)->get<std::uint64_t>() > INT64_MAX ? hi + 1 : (*m)->get<std::int64_t>();
        if (v < lo || v > hi)
            return bad(path(name), "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
        return v;
    }
    Result<std::vector<std::string>> texts(const std::string& name) {
        auto m = member(name, json::value_t::array, "a list of strings");
        if (!m) return m.error();
        std::vector<std::string> out;
        for (const auto& v : **m) {
            if (!v.is_string()) return bad(path(name), "expected a list of strings");
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    Result<void> done() const {
        for (auto it = j_.begin(); it != j_.end(); ++it)
            if (!seen_.count(it.key())) return bad(path(it.key()), "unknown field");
        return {};
    }
    std::string path(const std::string& name) const { return where_.empty() ? name : where_ + "." + name; }

private:
    const json& j_;
    std::string where_;
    std::set<std::string> seen_;
};

// Shorthand for reading into a field: returns the error from the function.
#define MP_READ(target, expr)                      \
    do {                                           \
        auto mp_r = (expr);                        \
        if (!mp_r) return std::move(mp_r).error(); \
        (target) = std::move(*mp_r);               \
    } while (0)

Result<TlsSettings> read_tls(const json& j, const std::string& where) {
    Reader r(j, where);
    TlsSettings t;
    std::string mode;
    MP_READ(mode, r.text("mode"));
    auto m = parse_tls_mode(mode);
    if (!m) return bad(r.path("mode"), m.error().detail);
    t.mode = *m;
    for (auto [name, field] : {std::pair{"pinned_sha256", &t.pinned_sha256},
                               {"pinned_key_sha256", &t.pinned_key_sha256},
                               {"pinned_ca_sha256", &t.pinned_ca_sha256}}) {
        MP_READ(*field, r.text(name));
        if (!field->empty() &&
            (field->size() != 64 || field->find_first_not_of("0123456789abcdef") != std::string::npos))
            return bad(r.path(name), "expected 64 lower-case hex digits (a SHA-256 fingerprint)");
    }
    MP_READ(t.pinned_issuer, r.text("pinned_issuer"));
    MP_READ(t.pinned_not_after, r.text("pinned_not_after"));
    MP_READ(t.allow_legacy_tls, r.flag("allow_legacy_tls"));
    if (auto d = r.done(); !d) return d.error();
    return t;
}

Result<OAuthSettings> read_oauth(const json& j, const std::string& where) {
    Reader r(j, where);
    OAuthSettings o;
    MP_READ(o.provider, r.text("provider"));
    MP_READ(o.tenant, r.text("tenant"));
    MP_READ(o.client_id, r.text("client_id"));
    MP_READ(o.app_only, r.flag("app_only"));
    if (auto d = r.done(); !d) return d.error();
    return o;
}

// The object members both the office server and an account have.
Result<void> read_secret(Reader& r, const json& j, std::optional<std::string>& secret) {
    if (j.contains("secret")) {
        std::string s;
        MP_READ(s, r.text("secret"));
        secret = std::move(s);
    }
    return {};
}

Result<Account> read_account(const json& j, const std::string& where, std::optional<std::string>& secret) {
    Reader r(j, where);
    Account a;
    std::string s;
    MP_READ(a.name, r.text("name"));
    MP_READ(s, r.text("protocol"));
    if (auto p = parse_protocol(s))
        a.protocol = *p;
    else
        return bad(r.path("protocol"), p.error().detail);
    MP_READ(a.host, r.text("host"));
    MP_READ(a.port, r.integer("port", 1, 65535));
    const json* t = nullptr;
    MP_READ(t, r.member("tls", json::value_t::object, "an object"));
    MP_READ(a.tls, read_tls(*t, r.path("tls")));
    MP_READ(a.user, r.text("user"));
    MP_READ(a.deliver_to, r.text("deliver_to"));
    MP_READ(a.catch_all, r.flag("catch_all"));
    MP_READ(a.domains, r.texts("domains"));
    MP_READ(a.fallback, r.text("fallback"));
    MP_READ(a.envelope_headers, r.texts("envelope_headers"));
    MP_READ(s, r.text("leave"));
    if (auto l = parse_leave_policy(s))
        a.leave = *l;
    else
        return bad(r.path("leave"), l.error().detail);
    MP_READ(a.folders, r.texts("folders"));
    MP_READ(a.idle, r.flag("idle"));
    MP_READ(s, r.text("folder_delivery"));
    if (auto d = parse_folder_delivery(s))
        a.folder_delivery = *d;
    else
        return bad(r.path("folder_delivery"), d.error().detail);
    MP_READ(a.max_per_pass, r.integer("max_per_pass", 0, 1000000));
    MP_READ(a.max_size_bytes, r.integer("max_size_bytes", 0, std::int64_t{1} << 50));
    MP_READ(a.interval_minutes, r.integer("interval_minutes", 0, 1440));
    MP_READ(a.enabled, r.flag("enabled"));
    const json* o = nullptr;
    MP_READ(o, r.member("oauth", json::value_t::object, "an object"));
    MP_READ(a.oauth, read_oauth(*o, r.path("oauth")));
    if (auto x = read_secret(r, j, secret); !x) return x.error();
    if (auto d = r.done(); !d) return d.error();
    if (auto v = validate(a); !v) return bad(where, v.error().detail);
    return a;
}

Result<OfficeServer> read_office(const json& j, std::optional<std::string>& secret) {
    Reader r(j, "office_server");
    OfficeServer s;
    MP_READ(s.host, r.text("host"));
    MP_READ(s.port, r.integer("port", 1, 65535));
    const json* t = nullptr;
    MP_READ(t, r.member("tls", json::value_t::object, "an object"));
    MP_READ(s.tls, read_tls(*t, "office_server.tls"));
    MP_READ(s.user, r.text("user"));
    MP_READ(s.helo_name, r.text("helo_name"));
    const json* o = nullptr;
    MP_READ(o, r.member("oauth", json::value_t::object, "an object"));
    MP_READ(s.oauth, read_oauth(*o, "office_server.oauth"));
    if (auto x = read_secret(r, j, secret); !x) return x.error();
    if (auto d = r.done(); !d) return d.error();
    if (auto v = validate(s); !v) return bad("office_server", v.error().detail);
    return s;
}

// The settings that travel are the chosen ones (mailporter/settings.h),
// checked as `settings set` checks them.
Result<std::string> check_exported_setting(const std::string& key, const std::string& value) {
    const auto* spec = find_setting(key);
    if (!spec || spec->key != key) return bad("settings." + key, "not a setting MailPorter exports");
    auto c = check_setting(*spec, value);
    if (!c) return bad("settings." + key, c.error().detail);
    return c;
}

Result<void> read_settings(const json& j, std::map<std::string, std::string>& out) {
    if (!j.is_object()) return bad("settings", "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it->is_string()) return bad("settings." + it.key(), "expected a string");
        auto c = check_exported_setting(it.key(), it->get<std::string>());
        if (!c) return c.error();
        out[it.key()] = std::move(*c);
    }
    return {};
}

Result<ConfigSnapshot> read_document(const json& doc) {
    Reader r(doc, "");
    std::string format;
    MP_READ(format, r.text("format"));
    if (format != Format) return bad("format", "expected \"mailporter-config\", not \"" + format + "\"");
    std::int64_t version = 0;
    MP_READ(version, r.integer("version", 0, INT32_MAX));
    if (version != Version)
        return bad("version", "this MailPorter reads version 1, the file is version " + std::to_string(version));
    ConfigSnapshot c;
    const json* office = nullptr;
    MP_READ(office, r.member("office_server", json::value_t::object, "an object or null"));
    if (!office->is_null()) MP_READ(c.office, read_office(*office, c.office_secret));
    const json* accounts = nullptr;
    MP_READ(accounts, r.member("accounts", json::value_t::array, "a list"));
    std::set<std::string> names;
    for (std::size_t i = 0; i < accounts->size(); ++i) {
        const std::string where = "accounts[" + std::to_string(i) + "]";
        std::optional<std::string> secret;
        Account a;
        MP_READ(a, read_account((*accounts)[i], where, secret));
        std::string key = a.name;
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
        if (!names.insert(key).second) return bad(where + ".name", "\"" + a.name + "\" is there twice");
        if (secret) c.account_secrets[a.name] = *secret;
        c.accounts.push_back(std::move(a));
    }
    const json* settings = nullptr;
    MP_READ(settings, r.member("settings", json::value_t::object, "an object"));
    if (auto s = read_settings(*settings, c.settings); !s) return s.error();
    if (auto d = r.done(); !d) return d.error();
    return c;
}

}  // namespace

const std::vector<std::string_view>& exported_settings() {
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> k;
        for (const auto& spec : user_settings()) k.push_back(spec.key);
        return k;
    }();
    return keys;
}

Result<ConfigSnapshot> read_config(Workspace& db, bool with_secrets) {
    SecretStore* secrets = nullptr;
    if (with_secrets) {
        auto s = db.secrets();
        if (!s) return s.error();
        secrets = *s;
    }
    ConfigSnapshot c;
    auto office = db.office_server();
    if (!office) return office.error();
    c.office = *office;
    auto accounts = db.accounts();
    if (!accounts) return accounts.error();
    for (auto a : *accounts) {
        a.id = 0;
        if (secrets) {
            auto s = secrets->load(account_secret_key(a.name));
            if (!s) return s.error();
            if (*s) c.account_secrets[a.name] = **s;
        }
        c.accounts.push_back(std::move(a));
    }
    if (secrets && c.office) {
        auto s = secrets->load(OfficeSecretKey);
        if (!s) return s.error();
        c.office_secret = *s;
    }
    for (const auto key : exported_settings()) {
        auto v = db.setting(key);
        if (!v) return v.error();
        if (*v) c.settings[std::string(key)] = **v;
    }
    return c;
}

Result<std::string> to_json(const ConfigSnapshot& c) {
    ojson doc = {{"format", Format}, {"version", Version}};
    if (c.office) {
        ojson o = {{"host", c.office->host},           {"port", c.office->port},
                   {"tls", tls_json(c.office->tls)},   {"user", c.office->user},
                   {"helo_name", c.office->helo_name}, {"oauth", oauth_json(c.office->oauth)}};
        if (c.office_secret) o["secret"] = *c.office_secret;
        doc["office_server"] = std::move(o);
    } else {
        doc["office_server"] = nullptr;
    }
    ojson accounts = ojson::array();
    for (const auto& a : c.accounts) {
        ojson j = account_json(a);
        if (auto it = c.account_secrets.find(a.name); it != c.account_secrets.end()) j["secret"] = it->second;
        accounts.push_back(std::move(j));
    }
    doc["accounts"] = std::move(accounts);
    doc["settings"] = c.settings;
    // JSON text is UTF-8: a value that is not (a password of other bytes)
    // is refused by name rather than changed on the way.
    try {
        return doc.dump(2) + "\n";
    } catch (const ojson::exception& e) {
        return make_error(Errc::ConfigInvalid,
                          std::string("a value is not UTF-8 text and cannot be exported (") + e.what() + ")",
                          ErrorScope::Local, Retry::Never);
    }
}

Result<ConfigSnapshot> parse_config_json(std::string_view text) {
    json doc = json::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded()) return bad("the file", "not valid JSON");
    if (!doc.is_object()) return bad("the file", "expected a JSON object");
    return read_document(doc);
}

}  // namespace mailporter
