#pragma once
// Thunderbird's autoconfig format (config-v1.1.xml, as served by providers
// and by Mozilla's ISPDB): the incoming and outgoing servers it names. Pure.
//
// The XML reader is our own, small and tolerant: elements, attributes,
// comments, CDATA, processing instructions and the five predefined entities
// plus numeric ones; a DOCTYPE is skipped, never expanded. It is bounded
// (MaxAutoconfigBytes of input, MaxDepth of nesting, MaxElements) and gives
// up with an error rather than guessing on malformed input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter::detect {

inline constexpr std::size_t MaxAutoconfigBytes = 256 * 1024;

struct AutoconfigServer {
    Protocol protocol = Protocol::Imap;
    std::string hostname;  // placeholders substituted, lower case
    std::uint16_t port = 0;
    TlsMode tls = TlsMode::Implicit;
    std::string username;  // placeholders substituted; may be empty
    // Only OAuth2 offered (no password method beside it): the provider
    // refuses passwords.
    bool needs_oauth = false;
};

struct Autoconfig {
    std::string display_name;
    std::vector<AutoconfigServer> incoming;    // POP3 and IMAP, in document order
    std::optional<AutoconfigServer> outgoing;  // the first SMTP server (protocol field unused)
    std::vector<std::string> skipped;          // servers left out, and why ("pop3 server: port '0' is not a port")
};

// %EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN% replaced from address.
std::string substitute_placeholders(std::string_view text, std::string_view address);

// Servers of unknown type or socketType, or with a bad host name or port, are
// left out; a document with no usable incoming server is an error.
Result<Autoconfig> parse_autoconfig(std::string_view xml, std::string_view address);

}  // namespace mailporter::detect
