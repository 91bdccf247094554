#include "import_cli.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <unordered_map>

#include "mailporter/config_file.h"
#include "mailporter/import.h"
#include "mailporter/service.h"

namespace mailporter::cli {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure{"cannot read " + path};
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Failure{"cannot read " + path};
    return text.str();
}

std::string describe(const mp::Account& a) {
    std::string to = a.catch_all
                         ? "catch-all " + join(a.domains) + (a.fallback.empty() ? "" : ", fallback " + a.fallback)
                         : a.deliver_to;
    return std::string(mp::to_string(a.protocol)) + "://" + a.user + "@" + a.host + ":" + std::to_string(a.port) +
           " (" + std::string(mp::to_string(a.tls.mode)) + ") -> " + to + ", leave " + mp::to_string(a.leave) +
           (a.enabled ? "" : " [disabled]");
}

// The office's mail domain: given, else that of the first account already
// delivering to one address (an address is never made up from a host name).
std::string office_domain(Context& ctx, const Args& a) {
    if (auto d = a.get("office-domain")) return *d;
    for (const auto& acc : need(ctx.workspace().accounts()))
        if (!acc.catch_all && acc.deliver_to.find('@') != std::string::npos)
            return acc.deliver_to.substr(acc.deliver_to.rfind('@') + 1);
    return {};
}

void print_notes(const char* heading, const std::vector<mp::ImportNote>& notes) {
    if (notes.empty()) return;
    std::cout << heading << "\n";
    for (const auto& n : notes) std::cout << "  " << mp::to_string(n) << "\n";
}

// What of the file is kept: accounts whose names are free (or all, with
// --replace), the office server and interval when none is set yet.
mp::ConfigSnapshot plan(Context& ctx, const Args& a, const mp::FetchmailImport& im, bool replace,
                        std::vector<mp::ImportNote>& refused) {
    auto& db = ctx.workspace();
    // Accounts by box (box_key), those set up and those planned: thousands
    // of entries are looked up, not compared each with each.
    using ByBox = std::unordered_map<std::string, std::vector<mp::Account>>;
    ByBox existing, planned;
    for (auto& e : need(db.accounts())) existing[mp::box_key(e)].push_back(std::move(e));
    mp::ConfigSnapshot c;
    for (const auto& x : im.accounts) {
        const std::string key = mp::box_key(x.account);
        // The account for this box: one of its name, or one set up for the
        // same box under another name (never a second account for a box).
        const mp::Account* target = mp::same_box(existing[key], x.account);
        const auto named = need(db.find_account(x.account.name));
        if (named && target && named->id != target->id) {
            refused.push_back(
                {x.line, x.account.name,
                 "the name is another box's and the box is set up as `" + target->name + "`; not imported"});
            continue;
        }
        const mp::Account named_copy = named ? *named : mp::Account{};
        if (!target && named) target = &named_copy;
        if (target && !replace) {
            refused.push_back(
                {x.line, x.account.name,
                 (target->name == x.account.name ? std::string("an account of that name exists")
                                                 : "this box is set up already as `" + target->name + "`") +
                     "; not imported (--replace updates it)"});
            continue;
        }
        if (const mp::Account* twin = mp::same_box(planned[key], x.account)) {
            refused.push_back({x.line, x.account.name,
                               "the file names this box again (imported as `" + twin->name + "`); not imported"});
            continue;
        }
        mp::Account acc = x.account;
        if (target) {
            bool kept_leave = false;
            acc = mp::replace_from_file(*target, x.account, kept_leave);
            if (kept_leave)
                refused.push_back({x.line, acc.name,
                                   "leave policy kept as " + mp::to_string(target->leave) +
                                       ": an import never makes a box delete sooner (account edit to change it)"});
        }
        if (!x.password.empty()) c.account_secrets[acc.name] = x.password;
        planned[key].push_back(acc);
        c.accounts.push_back(std::move(acc));
    }
    std::optional<mp::OfficeServer> office = im.office;
    if (auto h = a.get("office-host")) {
        office = mp::OfficeServer{};
        office->host = *h;
        office->port = 25;
    }
    if (auto p = a.get("office-port")) {
        if (!office) throw UsageError{"--office-port needs --office-host (or an smtphost in the file)"};
        office->port = static_cast<std::uint16_t>(parse_int("--office-port", *p, 1, 65535));
    }
    if (office) need(mp::validate(*office));
    const auto current = need(db.office_server());
    if (office && current && !replace && !(*current == *office))
        refused.push_back({0, "office server " + office->host,
                           "one is configured already (" + current->host + "); not changed (--replace)"});
    else if (office)
        c.office = office;
    if (im.interval_minutes) {
        const auto current_interval = need(db.setting(mp::SettingDefaultInterval));
        if (current_interval && !replace)
            refused.push_back({0, "set daemon", "the default interval is set already; not changed (--replace)"});
        else
            c.settings[std::string(mp::SettingDefaultInterval)] = std::to_string(*im.interval_minutes);
    }
    return c;
}

int import_fetchmailrc(Context& ctx, const Args& a, const std::string& file) {
    const bool dry = a.flag("dry-run");
    const bool replace = a.flag("replace");
    const std::string domain = office_domain(ctx, a);
    auto im = need(mp::parse_fetchmailrc(read_file(file), {domain}));
    std::vector<mp::ImportNote> refused;
    const auto c = plan(ctx, a, im, replace, refused);
    a.reject_unknown();
    std::cout << (dry ? "would import" : "importing") << " from " << file
              << (domain.empty() ? " (no office domain known)" : " (office domain " + domain + ")") << ":\n";
    if (c.office) std::cout << "  office server " << c.office->host << ":" << c.office->port << " (no TLS)\n";
    for (const auto& acc : c.accounts)
        std::cout << "  account " << acc.name << ": " << describe(acc)
                  << (c.account_secrets.count(acc.name) ? ", password from the file" : ", no password") << "\n";
    if (auto it = c.settings.find(std::string(mp::SettingDefaultInterval)); it != c.settings.end())
        std::cout << "  default interval " << it->second << " minute(s)\n";
    print_notes("imported approximately:", im.notes);
    auto unmapped = im.unmapped;
    unmapped.insert(unmapped.end(), refused.begin(), refused.end());
    print_notes("not imported:", unmapped);
    if (!dry) {
        need(mp::apply_config(ctx.workspace(), c, replace));
    }
    std::cout << c.accounts.size() << " account(s) " << (dry ? "would be imported" : "imported") << ", "
              << unmapped.size() << " statement(s) not mapped (listed above)"
              << (dry ? "; nothing was changed (--dry-run)" : "") << "\n";
    return 0;
}

int import_json(Context& ctx, const Args& a, const std::string& file) {
    const bool dry = a.flag("dry-run");
    const bool replace = a.flag("replace");
    a.reject_unknown();
    const auto c = need(mp::parse_config_json(read_file(file)));
    if (dry) {
        std::cout << "would import from " << file << ":\n";
        if (c.office) std::cout << "  office server " << c.office->host << ":" << c.office->port << "\n";
        for (const auto& acc : c.accounts) std::cout << "  account " << acc.name << ": " << describe(acc) << "\n";
        std::cout << "  " << c.settings.size() << " setting(s); nothing was changed (--dry-run)\n";
        return 0;
    }
    const bool secrets = c.office_secret || !c.account_secrets.empty();
    auto r = need(mp::apply_config(ctx.workspace(), c, replace));
    std::cout << "imported from " << file << ": " << r.added.size() << " account(s) added, " << r.replaced.size()
              << " replaced" << (c.office ? ", the office server" : "") << ", " << c.settings.size() << " setting(s)"
              << (secrets ? ", passwords into the " + ctx.workspace().secret_store_kind() + " store" : "") << "\n";
    return 0;
}

}  // namespace

int cmd_import(Context& ctx, const std::vector<std::string>& words) {
    if (words.empty()) throw UsageError{"import needs fetchmailrc or json, then the FILE"};
    Args a({words.begin() + 1, words.end()}, {"dry-run", "replace"});
    if (a.positional().size() != 1) throw UsageError{"import " + words[0] + " needs one FILE"};
    const std::string file = a.positional()[0];
    if (words[0] == "fetchmailrc") return import_fetchmailrc(ctx, a, file);
    if (words[0] == "json") return import_json(ctx, a, file);
    throw UsageError{"import fetchmailrc FILE or import json FILE, not '" + words[0] + "'"};
}

int cmd_export(Context& ctx, const Args& a) {
    const bool passwords = a.flag("passwords");
    const auto output = a.get("output");
    a.reject_unknown();
    if (!a.positional().empty()) throw UsageError{"unexpected argument '" + a.positional()[0] + "'"};
    // Secrets never go to a terminal or a pipe by accident.
    if (passwords && !output) throw UsageError{"--passwords needs --output FILE (written readable by you only)"};
    const auto c = need(mp::read_config(ctx.workspace(), passwords));
    const std::string text = need(mp::to_json(c));
    if (!output) {
        std::cout << text;
        return 0;
    }
    need(mp::write_private_file(*output, text));
    std::cout << "exported the office server, " << c.accounts.size() << " account(s) and " << c.settings.size()
              << " setting(s) to " << *output << "\n";
    if (passwords)
        std::cerr << "mailporter-cli: warning: " << *output
                  << " holds the passwords and sign-ins in clear text (mode 0600); keep it safe and delete it "
                     "once imported\n";
    return 0;
}

}  // namespace mailporter::cli
