#include "proto/bearer.h"

#include <algorithm>

#include "proto/sanitize.h"
#include "proto/sasl.h"

namespace mailporter::sasl {
namespace {

constexpr std::size_t MaxToken = 16 * 1024;
constexpr std::string_view RefusalMark = "the server refused the sign-in token";

bool b64token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/';
}

std::string saslname(std::string_view user) {
    std::string out;
    out.reserve(user.size());
    for (const char c : user) {
        if (c == ',')
            out += "=2C";
        else if (c == '=')
            out += "=3D";
        else
            out += c;
    }
    return out;
}

// The string value of "key" in a flat JSON object (enough for RFC 7628's
// error: {"status":"401","schemes":"bearer","scope":"..."}); numbers too.
std::string json_field(std::string_view json, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\"";
    auto at = json.find(quoted);
    if (at == std::string_view::npos) return {};
    at = json.find(':', at + quoted.size());
    if (at == std::string_view::npos) return {};
    ++at;
    while (at < json.size() && (json[at] == ' ' || json[at] == '\t')) ++at;
    if (at >= json.size()) return {};
    std::string value;
    if (json[at] == '"') {
        for (++at; at < json.size() && json[at] != '"' && value.size() < 200; ++at) {
            if (json[at] == '\\' && at + 1 < json.size()) ++at;
            value += json[at];
        }
    } else {
        for (; at < json.size() && json[at] != ',' && json[at] != '}' && value.size() < 200; ++at) value += json[at];
    }
    return sanitize_for_log(value, 200);
}

}  // namespace

std::string_view mechanism_name(BearerMech m) { return m == BearerMech::OAuthBearer ? "OAUTHBEARER" : "XOAUTH2"; }

std::optional<BearerMech> choose_bearer(const std::vector<std::string>& offered) {
    const auto has = [&](std::string_view m) { return std::find(offered.begin(), offered.end(), m) != offered.end(); };
    if (has("OAUTHBEARER")) return BearerMech::OAuthBearer;
    if (has("XOAUTH2")) return BearerMech::XOAuth2;
    return std::nullopt;
}

std::string offered_text(const std::vector<std::string>& offered) {
    std::string list;
    for (const auto& m : offered) list += (list.empty() ? "" : " ") + m;
    return list.empty() ? std::string() : "; it offers " + sanitize_for_log(list, 200);
}

Result<void> check_bearer_input(std::string_view user, std::string_view token) {
    if (user.empty())
        return make_error(Errc::ConfigInvalid, "the account has no user name for the sign-in", ErrorScope::Account,
                          Retry::Never);
    if (std::any_of(user.begin(), user.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
        return make_error(Errc::ConfigInvalid, "the user name contains a control character", ErrorScope::Account,
                          Retry::Never);
    std::size_t i = 0;
    while (i < token.size() && b64token_char(token[i])) ++i;
    const std::size_t body = i;
    while (i < token.size() && token[i] == '=') ++i;
    if (token.empty() || token.size() > MaxToken || body == 0 || i != token.size())
        return make_error(Errc::SignInNeeded,
                          "the stored access token is not a valid bearer token (" + std::to_string(token.size()) +
                              " bytes); sign in again",
                          ErrorScope::Account, Retry::Never);
    return {};
}

std::string xoauth2_response(std::string_view user, std::string_view token) {
    std::string raw = "user=" + std::string(user) +
                      "\x01"
                      "auth=Bearer " +
                      std::string(token) + "\x01\x01";
    std::string out = base64_encode(raw);
    std::fill(raw.begin(), raw.end(), '\0');
    return out;
}

std::string oauthbearer_response(std::string_view user, std::string_view host, std::uint16_t port,
                                 std::string_view token) {
    std::string raw = "n,a=" + saslname(user) + ",\x01";
    if (!host.empty()) raw += "host=" + std::string(host) + "\x01";
    if (port != 0) raw += "port=" + std::to_string(port) + "\x01";
    raw += "auth=Bearer " + std::string(token) + "\x01\x01";
    std::string out = base64_encode(raw);
    std::fill(raw.begin(), raw.end(), '\0');
    return out;
}

std::string initial_response(BearerMech m, std::string_view user, std::string_view host, std::uint16_t port,
                             std::string_view token) {
    return m == BearerMech::OAuthBearer ? oauthbearer_response(user, host, port, token) : xoauth2_response(user, token);
}

std::string_view abort_response(BearerMech m) { return m == BearerMech::OAuthBearer ? "AQ==" : ""; }

std::string describe_bearer_challenge(std::string_view challenge_b64) {
    if (challenge_b64.size() > MaxChallenge) return {};
    auto json = base64_decode(challenge_b64);
    if (!json || json->empty() || json->front() != '{') return {};
    std::string words;
    for (const std::string_view key : {"status", "schemes", "scope"}) {
        const auto v = json_field(*json, key);
        if (v.empty()) continue;
        if (!words.empty()) words += ", ";
        words += std::string(key) + " " + v;
    }
    return words;
}

Error bearer_refused(std::string_view mech, std::string_view server_text, std::string_view challenge_words) {
    std::string detail = std::string(RefusalMark) + " (" + std::string(mech) + ")";
    if (!challenge_words.empty()) detail += " [" + std::string(challenge_words) + "]";
    const auto text = sanitize_for_log(server_text, 200);
    if (!text.empty()) detail += ": " + text;
    detail +=
        ". If signing in again does not help, check that the mailbox allows this protocol and that the "
        "app was granted its permission";
    return make_error(Errc::AuthFailed, std::move(detail), ErrorScope::Account, Retry::Never);
}

bool is_bearer_refusal(const Error& e) { return e.code == Errc::AuthFailed && e.detail.rfind(RefusalMark, 0) == 0; }

}  // namespace mailporter::sasl
