// The built-in table. Settings as the providers publish them (their help
// pages and Mozilla's ISPDB); implicit TLS wherever it is offered.

#include "detect/providers.h"

#include <algorithm>

namespace mailporter::detect {

namespace {

constexpr auto Imap = Protocol::Imap;
constexpr auto Pop3 = Protocol::Pop3;
constexpr auto Tls = TlsMode::Implicit;

std::vector<ProviderServer> both(std::string_view imap, std::string_view pop) {
    return {{Imap, imap, 993, Tls}, {Pop3, pop, 995, Tls}};
}

}  // namespace

const std::vector<Provider>& providers() {
    static const std::vector<Provider> table = {
        {"Gmail", {"gmail.com", "googlemail.com"}, {}, both("imap.gmail.com", "pop.gmail.com"), true},
        {"Google Workspace", {}, {"google.com", "googlemail.com"}, both("imap.gmail.com", "pop.gmail.com"), true},
        {"Outlook.com",
         {"outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "live.com", "live.fr", "live.de",
          "msn.com"},
         {},
         both("outlook.office365.com", "outlook.office365.com"),
         true},
        {"Microsoft 365",
         {},
         {"outlook.com", "protection.outlook.com"},
         both("outlook.office365.com", "outlook.office365.com"),
         true},
        {"Yahoo",
         {"yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "rocketmail.com"},
         {"yahoodns.net"},
         both("imap.mail.yahoo.com", "pop.mail.yahoo.com")},
        {"AOL", {"aol.com", "aim.com"}, {}, both("imap.aol.com", "pop.aol.com")},
        {"iCloud", {"icloud.com", "me.com", "mac.com"}, {}, {{Imap, "imap.mail.me.com", 993, Tls}}, false, true},
        {"GMX", {"gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com"}, {}, both("imap.gmx.net", "pop.gmx.net")},
        {"WEB.DE", {"web.de"}, {}, both("imap.web.de", "pop3.web.de")},
        {"T-Online", {"t-online.de", "magenta.de"}, {}, both("secureimap.t-online.de", "securepop.t-online.de")},
        {"Orange", {"orange.fr", "wanadoo.fr"}, {}, both("imap.orange.fr", "pop.orange.fr")},
        {"Free", {"free.fr"}, {}, both("imap.free.fr", "pop.free.fr"), false, true},
        {"Mail.ru", {"mail.ru", "inbox.ru", "list.ru", "bk.ru"}, {}, both("imap.mail.ru", "pop.mail.ru")},
        {"Yandex",
         {"yandex.ru", "yandex.com", "ya.ru"},
         {"yandex.net", "yandex.ru"},
         both("imap.yandex.com", "pop.yandex.com")},
        {"Zoho", {"zoho.com", "zohomail.com"}, {"zoho.com"}, both("imap.zoho.com", "pop.zoho.com")},
        {"Fastmail",
         {"fastmail.com", "fastmail.fm"},
         {"messagingengine.com"},
         both("imap.fastmail.com", "pop.fastmail.com")},
        {"IONOS", {"ionos.com", "ionos.co.uk", "ionos.fr"}, {"ionos.com"}, both("imap.ionos.com", "pop.ionos.com")},
        {"IONOS (1&1)",
         {"ionos.de", "online.de", "onlinehome.de"},
         {"ionos.de", "kundenserver.de"},
         both("imap.ionos.de", "pop.ionos.de")},
        {"Strato", {"strato.de"}, {"rzone.de", "strato.de"}, both("imap.strato.de", "pop3.strato.de")},
        {"OVH", {"ovh.net"}, {"ovh.net"}, both("ssl0.ovh.net", "ssl0.ovh.net")},
        {"GoDaddy", {}, {"secureserver.net"}, both("imap.secureserver.net", "pop.secureserver.net")},
    };
    return table;
}

bool host_under(std::string_view host, std::string_view suffix) {
    auto eq = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   auto l = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
                   return l(x) == l(y);
               });
    };
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.size() == suffix.size()) return eq(host, suffix);
    return host.size() > suffix.size() && host[host.size() - suffix.size() - 1] == '.' &&
           eq(host.substr(host.size() - suffix.size()), suffix);
}

const Provider* provider_for_domain(std::string_view domain) {
    for (const auto& p : providers())
        for (auto d : p.domains)
            if (host_under(domain, d) && domain.size() == d.size() + (domain.ends_with(".") ? 1 : 0)) return &p;
    return nullptr;
}

const Provider* provider_for_mx(std::string_view mx_host) {
    for (const auto& p : providers())
        for (auto s : p.mx_suffixes)
            if (host_under(mx_host, s)) return &p;
    return nullptr;
}

}  // namespace mailporter::detect
