// Thunderbird autoconfig, https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat

#include "detect/autoconfig_xml.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "ascii.h"

namespace mailporter::detect {

namespace {

constexpr int MaxDepth = 32;
constexpr std::size_t MaxElements = 20000;

Error bad_xml(std::string what) {
    return make_error(Errc::ProtocolError, "autoconfig XML: " + std::move(what), ErrorScope::Account, Retry::Never);
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

// The five predefined entities and &#N; / &#xN; (ASCII only: host names,
// ports and user names need no more). Anything else is kept as written.
std::string decode_entities(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        const auto semi = s.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out += s[i];
            continue;
        }
        const auto name = s.substr(i + 1, semi - i - 1);
        char c = 0;
        if (name == "amp")
            c = '&';
        else if (name == "lt")
            c = '<';
        else if (name == "gt")
            c = '>';
        else if (name == "quot")
            c = '"';
        else if (name == "apos")
            c = '\'';
        else if (name.size() > 1 && name[0] == '#') {
            const bool hex = name[1] == 'x' || name[1] == 'X';
            unsigned long v = 0;
            bool ok = name.size() > (hex ? 2u : 1u);
            for (char d : name.substr(hex ? 2 : 1)) {
                const int digit = (d >= '0' && d <= '9')        ? d - '0'
                                  : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                                  : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                                                : -1;
                if (digit < 0 || v > 0x10FFFF)
                    ok = false;
                else
                    v = v * (hex ? 16 : 10) + static_cast<unsigned long>(digit);
            }
            if (ok && v > 0 && v < 0x80) c = static_cast<char>(v);
        }
        if (c) {
            out += c;
            i = semi;
        } else {
            out += s[i];
        }
    }
    return out;
}

struct Handler {
    std::function<void(const std::string& name, const std::vector<std::pair<std::string, std::string>>& attrs)> start;
    std::function<void(const std::string& name)> end;
    std::function<void(const std::string& text)> text;
};

// A start tag at x[i]: name, attributes (quoted values may hold '>').
// Returns where the document goes on.
Result<std::size_t> start_tag(std::string_view x, std::size_t i, std::vector<std::string>& stack, std::size_t& elements,
                              const Handler& h) {
    std::size_t j = i + 1;
    while (j < x.size() && !std::isspace(static_cast<unsigned char>(x[j])) && x[j] != '>' && x[j] != '/') ++j;
    const std::string name(x.substr(i + 1, j - i - 1));
    if (name.empty()) return bad_xml("a tag without a name");
    std::vector<std::pair<std::string, std::string>> attrs;
    bool closed = false, empty_element = false;
    while (j < x.size()) {
        while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
        if (j >= x.size()) break;
        if (x[j] == '>') {
            closed = true;
            ++j;
            break;
        }
        if (x.substr(j).starts_with("/>")) {
            closed = empty_element = true;
            j += 2;
            break;
        }
        const auto eq = x.find('=', j);
        if (eq == std::string_view::npos || eq + 1 >= x.size()) return bad_xml("a broken attribute in <" + name + ">");
        const std::string an = trim(x.substr(j, eq - j));
        std::size_t v = eq + 1;
        while (v < x.size() && std::isspace(static_cast<unsigned char>(x[v]))) ++v;
        if (v >= x.size() || (x[v] != '"' && x[v] != '\'')) return bad_xml("an unquoted attribute in <" + name + ">");
        const auto close = x.find(x[v], v + 1);
        if (close == std::string_view::npos) return bad_xml("an attribute value is not closed");
        attrs.emplace_back(an, decode_entities(x.substr(v + 1, close - v - 1)));
        j = close + 1;
        if (attrs.size() > 32) return bad_xml("too many attributes");
    }
    if (!closed) return bad_xml("<" + name + " is not closed");
    if (++elements > MaxElements) return bad_xml("too many elements");
    h.start(name, attrs);
    if (empty_element)
        h.end(name);
    else if (stack.size() >= MaxDepth)
        return bad_xml("nested too deep");
    else
        stack.push_back(name);
    return j;
}

// Walks the document; elements must nest properly.
Result<void> walk(std::string_view x, const Handler& h) {
    std::vector<std::string> stack;
    std::size_t elements = 0, i = 0;
    while (i < x.size()) {
        if (x[i] != '<') {
            const auto lt = x.find('<', i);
            const auto chunk = x.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i);
            if (!stack.empty()) h.text(decode_entities(chunk));
            i = lt == std::string_view::npos ? x.size() : lt;
            continue;
        }
        const auto rest = x.substr(i);
        if (rest.starts_with("<!--")) {
            const auto e = x.find("-->", i + 4);
            if (e == std::string_view::npos) return bad_xml("a comment is not closed");
            i = e + 3;
        } else if (rest.starts_with("<![CDATA[")) {
            const auto e = x.find("]]>", i + 9);
            if (e == std::string_view::npos) return bad_xml("a CDATA section is not closed");
            if (!stack.empty()) h.text(std::string(x.substr(i + 9, e - i - 9)));
            i = e + 3;
        } else if (rest.starts_with("<?")) {
            const auto e = x.find("?>", i + 2);
            if (e == std::string_view::npos) return bad_xml("a processing instruction is not closed");
            i = e + 2;
        } else if (rest.starts_with("<!")) {
            // DOCTYPE (with an internal subset in brackets): skipped, never expanded.
            const auto bracket = x.find('[', i), gt = x.find('>', i);
            std::size_t e = gt;
            if (bracket != std::string_view::npos && bracket < gt) e = x.find("]>", bracket);
            if (e == std::string_view::npos) return bad_xml("a declaration is not closed");
            i = e + (x[e] == ']' ? 2 : 1);
        } else if (rest.starts_with("</")) {
            const auto gt = x.find('>', i);
            if (gt == std::string_view::npos) return bad_xml("an end tag is not closed");
            const std::string name = trim(x.substr(i + 2, gt - i - 2));
            if (stack.empty() || stack.back() != name)
                return bad_xml("</" + name + "> does not close the open element");
            stack.pop_back();
            h.end(name);
            i = gt + 1;
        } else {
            auto next = start_tag(x, i, stack, elements, h);
            if (!next) return std::move(next).error();
            i = *next;
        }
    }
    if (!stack.empty()) return bad_xml("<" + stack.back() + "> is not closed (the document ends early)");
    return {};
}

bool plausible_host(std::string_view h) {
    if (h.empty() || h.size() > 253 || h.front() == '.' || h.front() == '-') return false;
    return std::all_of(h.begin(), h.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
    });
}

}  // namespace

std::string substitute_placeholders(std::string_view text, std::string_view address) {
    const auto at = address.rfind('@');
    const std::string local(address.substr(0, at == std::string_view::npos ? address.size() : at));
    const std::string domain(at == std::string_view::npos ? std::string_view() : address.substr(at + 1));
    std::string out(text);
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"%EMAILADDRESS%", std::string(address)},
                                     {"%EMAILLOCALPART%", local},
                                     {"%EMAILDOMAIN%", domain}}) {
        for (auto p = out.find(key); p != std::string::npos; p = out.find(key, p + value.size()))
            out.replace(p, key.size(), value);
    }
    return out;
}

namespace {

// An incomingServer or outgoingServer element as read so far.
struct CurrentServer {
    std::string type;
    bool outgoing = false;
    std::string hostname, port, socket_type, username;
    bool oauth = false, password = false;
};

// A server element ends: kept when MailPorter can use it, else why not in out.skipped.
void finish_server(const CurrentServer& c, std::string_view address, Autoconfig& out) {
    AutoconfigServer s;
    const std::string type = ascii_lower(c.type);
    const std::string what = (type.empty() ? std::string("untyped") : type) + " server";
    auto skip = [&](const std::string& why) {
        if (out.skipped.size() < 16) out.skipped.push_back(what + ": " + why);
    };
    if (c.outgoing ? type != "smtp" : (type != "imap" && type != "pop3")) return skip("not a type MailPorter uses");
    s.protocol = type == "pop3" ? Protocol::Pop3 : Protocol::Imap;
    s.hostname = ascii_lower(trim(substitute_placeholders(c.hostname, address)));
    if (!plausible_host(s.hostname)) return skip("'" + s.hostname.substr(0, 80) + "' is not a host name");
    const std::string port = trim(c.port);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
        return skip("'" + port.substr(0, 20) + "' is not a port");
    s.port = static_cast<std::uint16_t>(std::stoi(port));
    const std::string st = ascii_lower(trim(c.socket_type));
    if (st == "ssl" || st == "tls")
        s.tls = TlsMode::Implicit;
    else if (st == "starttls")
        s.tls = TlsMode::StartTls;
    else if (st == "plain")
        s.tls = TlsMode::None;
    else
        return skip("unknown socketType '" + st.substr(0, 20) + "'");
    s.username = trim(substitute_placeholders(c.username, address));
    s.needs_oauth = c.oauth && !c.password;
    if (c.outgoing) {
        if (!out.outgoing) out.outgoing = s;
    } else if (out.incoming.size() < 16) {
        out.incoming.push_back(std::move(s));
    } else {
        skip("more than 16 incoming servers");
    }
}

}  // namespace

Result<Autoconfig> parse_autoconfig(std::string_view xml, std::string_view address) {
    if (xml.size() > MaxAutoconfigBytes) return bad_xml("the document is larger than 256 KiB");
    Autoconfig out;
    std::optional<CurrentServer> cur;
    std::string text;
    bool in_display_name = false;
    bool in_email_provider = false;

    Handler h;
    h.start = [&](const std::string& name, const std::vector<std::pair<std::string, std::string>>& attrs) {
        text.clear();
        if (name == "emailProvider") in_email_provider = true;
        if (name == "incomingServer" || name == "outgoingServer") {
            cur = CurrentServer{};
            cur->outgoing = name == "outgoingServer";
            for (const auto& [k, v] : attrs)
                if (k == "type") cur->type = v;
            return;
        }
        in_display_name = in_email_provider && !cur && name == "displayName";
    };
    h.text = [&](const std::string& t) {
        if (text.size() + t.size() <= 4096) text += t;
    };
    h.end = [&](const std::string& name) {
        if (name == "incomingServer" || name == "outgoingServer") {
            if (cur) finish_server(*cur, address, out);
            cur.reset();
        } else if (name == "emailProvider") {
            in_email_provider = false;
        } else if (cur) {
            if (name == "hostname")
                cur->hostname = text;
            else if (name == "port")
                cur->port = text;
            else if (name == "socketType")
                cur->socket_type = text;
            else if (name == "username")
                cur->username = text;
            else if (name == "authentication") {
                const std::string a = ascii_lower(trim(text));
                if (a == "oauth2")
                    cur->oauth = true;
                else if (a.starts_with("password") || a == "plain" || a == "secure")
                    cur->password = true;
            }
        } else if (in_display_name && name == "displayName" && out.display_name.empty()) {
            out.display_name = trim(text);
        }
        text.clear();
    };
    if (auto r = walk(xml, h); !r) return std::move(r).error();
    if (out.incoming.empty()) return bad_xml("no usable POP3 or IMAP server in the document");
    return out;
}

}  // namespace mailporter::detect
