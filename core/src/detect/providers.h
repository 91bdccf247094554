#pragma once
// The built-in provider table: common mailbox providers by the address's
// domain, and hosting platforms by the domain's MX host. Data, one table.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"

namespace mailporter::detect {

struct ProviderServer {
    Protocol protocol;
    std::string_view host;
    std::uint16_t port;
    TlsMode tls;
};

struct Provider {
    std::string_view name;                      // "Gmail"
    std::vector<std::string_view> domains;      // address domains, exact (lower case)
    std::vector<std::string_view> mx_suffixes;  // an MX host equal to or under one of these
    std::vector<ProviderServer> servers;        // in order of preference
    bool needs_oauth = false;                   // passwords refused (app passwords aside)
    bool local_part_user = false;               // the user name is the local part, not the address
};

const std::vector<Provider>& providers();

// The provider of an address's domain, or of its MX host; nullptr if none.
const Provider* provider_for_domain(std::string_view domain);
const Provider* provider_for_mx(std::string_view mx_host);

// host equals suffix or ends with "." + suffix (case-insensitive).
bool host_under(std::string_view host, std::string_view suffix);

}  // namespace mailporter::detect
