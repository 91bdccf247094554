#pragma once
// Candidates from each source, and the ranking that picks the best. Pure: no
// I/O, so the order of preference is unit-tested.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/autoconfig_xml.h"
#include "detect/dns_message.h"
#include "detect/providers.h"
#include "mailporter/detect.h"

namespace mailporter::detect {

// "user@Example.COM" -> {"user", "example.com"}; nullopt when it is not an
// address with an ASCII domain of at least two labels.
struct AddressParts {
    std::string local;
    std::string domain;
};
std::optional<AddressParts> split_address(std::string_view address);

// The whole address first, then the local part (or the other way round).
std::vector<std::string> usernames_for(std::string_view address, bool local_part_first = false);

std::vector<DetectCandidate> from_provider(const Provider& p, std::string_view address, std::string source);

// RFC 6186 §3: _imaps/_pop3s are implicit TLS, _imap/_pop3 STARTTLS.
struct SrvService {
    std::string_view prefix;  // "_imaps._tcp."
    Protocol protocol;
    TlsMode tls;
};
const std::vector<SrvService>& srv_services();
std::vector<DetectCandidate> from_srv(const SrvService& s, std::string_view domain,
                                      const std::vector<SrvRecord>& records, std::string_view address);

std::vector<DetectCandidate> from_autoconfig(const Autoconfig& ac, std::string_view address, bool https,
                                             std::string_view url);

// imap.<d>, mail.<d>, pop3.<d>, pop.<d>; the MX host itself and mail./imap.
// under its parent domain.
std::vector<DetectCandidate> guesses(std::string_view domain, const std::vector<std::string>& mx_hosts,
                                     std::string_view address, bool allow_plain);

// Drops repeats (same protocol, host, port, TLS: the first, strongest source
// stays, its usernames merged) and plain-text servers unless allowed; sorts
// into the order tried: source, then the preferred protocol, then implicit
// TLS before STARTTLS before none.
std::vector<DetectCandidate> arrange(std::vector<DetectCandidate> all, Protocol prefer, bool allow_plain);

// The index of the strongest usable candidate. Probed: one that logged in
// (or, without a password, answered with a trusted certificate) first; then
// one that answered with a certificate not trusted (to be pinned) or that
// needs OAuth2; never one whose login failed. Within a tier: the preferred
// protocol, implicit TLS, the source. Not probed: the first candidate not
// merely guessed.
std::optional<std::size_t> choose_best(const std::vector<DetectCandidate>& c, bool probed, bool with_password,
                                       Protocol prefer);

}  // namespace mailporter::detect
