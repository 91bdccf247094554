// detect_account: the sources in the order of detect.h, then the probes.

#include "mailporter/detect.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "detect/autoconfig_xml.h"
#include "detect/candidates.h"
#include "detect/dns_client.h"
#include "detect/http_get.h"
#include "detect/probe.h"
#include "detect/providers.h"

namespace mailporter {

namespace asio = boost::asio;
using namespace detect;

namespace {

struct Question {
    std::string name;
    DnsType type;
};

// Asks all questions at once; one answer (or error) per question.
std::vector<Result<DnsAnswer>> ask_all(const DnsServer& server, std::chrono::milliseconds timeout,
                                       const std::vector<Question>& questions) {
    asio::io_context io;
    DnsClient client(io, server, timeout);
    std::vector<std::optional<Result<DnsAnswer>>> slots(questions.size());
    for (std::size_t i = 0; i < questions.size(); ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                slots[i].emplace(co_await client.query(questions[i].name, questions[i].type));
            },
            asio::detached);
    io.run();
    std::vector<Result<DnsAnswer>> out;
    out.reserve(slots.size());
    for (auto& s : slots) out.push_back(s ? std::move(*s) : Result<DnsAnswer>(make_error(Errc::Internal, "no answer")));
    return out;
}

// A then AAAA through our DNS server; the first address.
Result<std::string> resolve_via(const DnsServer& server, std::chrono::milliseconds timeout, const std::string& host) {
    boost::system::error_code ec;
    if (asio::ip::make_address(host, ec); !ec) return host;
    for (auto type : {DnsType::A, DnsType::Aaaa}) {
        auto r = ask_all(server, timeout, {{host, type}});
        if (r[0] && !r[0]->addresses.empty()) return r[0]->addresses.front();
        if (!r[0] && type == DnsType::Aaaa) return std::move(r[0]).error();
    }
    return make_error(Errc::ResolveFailed, host + " has no address in DNS (server " + server.text() + ")");
}

bool system_resolves(const std::string& host) {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto r = resolver.resolve(host, "", ec);
    return !ec && !r.empty();
}

std::string percent_encode(std::string_view s) {
    static constexpr char Hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += Hex[c >> 4];
            out += Hex[c & 15];
        }
    }
    return out;
}

// What one detection collects as it goes; note() also reports progress.
struct Run {
    const DetectOptions& options;
    Detection& d;
    std::vector<DetectCandidate> all;
    std::optional<DnsServer> dns;
    std::vector<std::string> mx_hosts;

    void note(const std::string& s) {
        d.notes.push_back(s);
        if (options.progress) options.progress(s);
    }
    // Names resolve through our DNS server only when one was given.
    bool own_dns() const { return dns && !options.dns_server.empty(); }

    // SRV (RFC 6186) and MX, all questions at once.
    void lookup_dns() {
        const std::string& domain = d.domain;
        note("looking up SRV and MX records of " + domain + " (DNS server " + dns->text() + ")");
        std::vector<Question> qs;
        for (const auto& s : srv_services()) qs.push_back({std::string(s.prefix) + domain, DnsType::Srv});
        qs.push_back({"_submission._tcp." + domain, DnsType::Srv});
        qs.push_back({domain, DnsType::Mx});
        auto answers = ask_all(*dns, options.step_timeout, qs);
        const std::size_t before = all.size();
        for (std::size_t i = 0; i < srv_services().size(); ++i) {
            if (!answers[i]) {
                note("SRV " + qs[i].name + ": " + answers[i].error().detail);
                continue;
            }
            auto c = from_srv(srv_services()[i], domain, answers[i]->srv, d.address);
            for (const auto& x : c) note("SRV " + qs[i].name + ": " + x.host + ":" + std::to_string(x.port));
            all.insert(all.end(), c.begin(), c.end());
        }
        if (all.size() == before) note("SRV records (RFC 6186) of " + domain + ": none");
        if (const auto& sub = answers[srv_services().size()]; sub && !sub->srv.empty() && sub->srv[0].port != 0) {
            OfficeServer o;
            o.host = sub->srv[0].target;
            o.port = sub->srv[0].port;
            o.tls.mode = o.port == 465 ? TlsMode::Implicit : TlsMode::StartTls;
            o.user = d.address;
            d.submission = o;
        }
        if (const auto& mx = answers.back(); mx) {
            for (const auto& m : mx->mx) mx_hosts.push_back(m.host);
            note(mx_hosts.empty() ? "MX " + domain + ": none" : "MX " + domain + ": " + mx_hosts.front());
        } else {
            note("MX " + domain + ": " + mx.error().detail);
        }
    }

    // Thunderbird autoconfig, https first; the first document that parses ends it.
    void fetch_autoconfig() {
        HttpOptions http;
        http.timeout = options.step_timeout;
        http.max_body = MaxAutoconfigBytes;
        if (own_dns())
            http.resolve = [this](const std::string& host) { return resolve_via(*dns, options.step_timeout, host); };
        for (const bool https : {true, false}) {
            for (const bool subdomain : {true, false}) {
                Url u;
                u.https = https;
                u.port = https ? options.autoconfig_https_port : options.autoconfig_http_port;
                u.host = subdomain ? "autoconfig." + d.domain : d.domain;
                u.target = subdomain ? "/mail/config-v1.1.xml?emailaddress=" + percent_encode(d.address)
                                     : "/.well-known/autoconfig/mail/config-v1.1.xml";
                if (options.progress) options.progress("fetching " + u.text());
                auto r = http_get(u, http);
                if (!r) {
                    note("autoconfig " + u.text() + ": " + r.error().detail);
                    continue;
                }
                auto ac = parse_autoconfig(r->body, d.address);
                if (!ac) {
                    note("autoconfig " + u.text() + ": " + ac.error().detail);
                    continue;
                }
                for (const auto& why : ac->skipped) note("autoconfig " + u.text() + ": left out " + why);
                auto c = from_autoconfig(*ac, d.address, https, u.text());
                note("autoconfig " + u.text() + ": " + std::to_string(c.size()) + " incoming server(s)" +
                     (https ? "" : " (over http: unverified)"));
                all.insert(all.end(), c.begin(), c.end());
                if (ac->outgoing && !d.submission) {
                    OfficeServer o;
                    o.host = ac->outgoing->hostname;
                    o.port = ac->outgoing->port;
                    o.tls.mode = ac->outgoing->tls;
                    o.user = ac->outgoing->username;
                    d.submission = o;
                }
                return;
            }
        }
    }

    // Through our DNS server: names it cannot resolve are not probed. The
    // probe connects by name through the system's resolver (a Stream keeps
    // one name for the lookup, SNI and the certificate check), so a name
    // only our server knows cannot be probed either; that is said, not hidden.
    void mark_unreachable() {
        std::map<std::string, std::string> why_not;
        for (const auto& c : d.incoming) {
            if (why_not.count(c.host)) continue;
            auto a = resolve_via(*dns, options.step_timeout, c.host);
            if (!a)
                why_not[c.host] = a.error().detail;
            else if (!system_resolves(c.host))
                why_not[c.host] = c.host + " resolves to " + *a + " only through " + dns->text() +
                                  "; the probe connects by name through the system resolver";
            else
                why_not[c.host] = "";
        }
        for (auto& c : d.incoming)
            if (const auto& w = why_not[c.host]; !w.empty()) c.detail = "not probed: " + w;
    }
};

}  // namespace

Account account_from(const DetectCandidate& c) {
    Account a;
    a.protocol = c.protocol;
    a.host = c.host;
    a.port = c.port;
    a.tls.mode = c.tls;
    a.user = !c.username.empty() ? c.username : c.usernames.empty() ? std::string() : c.usernames.front();
    if (c.certificate) c.certificate->pin_into(a.tls);
    return a;
}

Result<Detection> detect_account(const std::string& address_in, const std::string& password,
                                 const DetectOptions& options) {
    const auto parts = split_address(address_in);
    if (!parts)
        return make_error(Errc::ConfigInvalid, "'" + address_in + "' is not an e-mail address (name@example.com)",
                          ErrorScope::Local, Retry::Never);
    Detection d;
    d.address = address_in;
    d.domain = parts->domain;
    Run run{options, d, {}, {}, {}};
    if (!options.dns_server.empty()) {
        auto s = parse_dns_server(options.dns_server);
        if (!s) return std::move(s).error();
        run.dns = *s;
    }

    // 1. The built-in table, by the address's domain.
    const Provider* by_domain = provider_for_domain(d.domain);
    if (by_domain) {
        run.note("built-in table: " + d.domain + " is " + std::string(by_domain->name));
        auto c = from_provider(*by_domain, d.address, "built-in table (" + std::string(by_domain->name) + ")");
        run.all.insert(run.all.end(), c.begin(), c.end());
    }
    // 2. DNS: SRV and MX.
    if (!run.dns) {
        if (auto s = system_dns_server())
            run.dns = *s;
        else
            run.note("no DNS server known (" + s.error().detail + "): SRV and MX records not looked up");
    }
    if (run.dns) run.lookup_dns();
    // The table again, by the MX host: hosted domains (Google Workspace,
    // Microsoft 365, hosting panels).
    for (const auto& mx : run.mx_hosts) {
        const Provider* p = by_domain ? nullptr : provider_for_mx(mx);
        if (!p) continue;
        run.note("built-in table: the MX host " + mx + " belongs to " + std::string(p->name));
        auto c = from_provider(*p, d.address, "built-in table (" + std::string(p->name) + ", by MX " + mx + ")");
        run.all.insert(run.all.end(), c.begin(), c.end());
        break;
    }
    // 3. Autoconfig (not for a provider the table knows by its domain).
    if (!by_domain) run.fetch_autoconfig();
    // 4. Guesses, only when no source named a server.
    if (run.all.empty()) {
        run.note("no source named a server; guessing from the domain" +
                 std::string(run.mx_hosts.empty() ? "" : " and its MX host"));
        run.all = guesses(d.domain, run.mx_hosts, d.address, options.allow_plain);
    }
    d.incoming = arrange(std::move(run.all), options.prefer, options.allow_plain);

    if (options.probe && !d.incoming.empty()) {
        if (run.own_dns()) run.mark_unreachable();
        probe_all(d.incoming, password, options, [&](const DetectCandidate& c) {
            if (options.progress)
                options.progress("probed " + std::string(to_string(c.protocol)) + " " + c.host + ":" +
                                 std::to_string(c.port) + " (" + std::string(to_string(c.tls)) + "): " + c.detail);
        });
    }
    if (auto b = choose_best(d.incoming, options.probe, !password.empty(), options.prefer)) {
        d.best = d.incoming[*b];
    } else if (d.incoming.empty()) {
        run.note("nothing found: no provider entry, SRV record, autoconfig document or guessed server for " + d.domain);
    } else if (options.probe) {
        const bool any_answer = std::any_of(d.incoming.begin(), d.incoming.end(), [](auto& c) { return c.answered; });
        run.note(any_answer ? "servers answered, but none accepted the login: check the password"
                            : "nothing found: none of the " + std::to_string(d.incoming.size()) +
                                  " candidate servers answered");
    } else {
        run.note("nothing found: only guesses, not probed");
    }
    return d;
}

}  // namespace mailporter
