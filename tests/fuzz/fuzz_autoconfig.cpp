// Autoconfig XML (detect/autoconfig_xml.h). The first bytes are the user's
// address, the rest the document. Properties: no crash; a parsed document
// has at least one incoming server, and every kept server has a plausible
// host (1..253 bytes of [a-z0-9.:-]) and a port in 1..65535; placeholder
// substitution leaves text without '%' unchanged and is deterministic.

#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "detect/autoconfig_xml.h"
#include "fuzz_check.h"

using namespace mailporter::detect;

namespace {

void check_server(const AutoconfigServer& s) {
    FUZZ_CHECK(!s.hostname.empty() && s.hostname.size() <= 253);
    for (const char c : s.hostname)
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':');
    FUZZ_CHECK(s.port != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto address = in.ConsumeRandomLengthString(64);
    const auto xml = in.ConsumeRemainingBytesAsString();

    if (auto config = parse_autoconfig(xml, address)) {
        FUZZ_CHECK(!config->incoming.empty());
        for (const auto& s : config->incoming) {
            check_server(s);
            FUZZ_CHECK(s.protocol == mailporter::Protocol::Pop3 || s.protocol == mailporter::Protocol::Imap);
        }
        if (config->outgoing) check_server(*config->outgoing);
    }

    const auto once = substitute_placeholders(xml, address);
    FUZZ_CHECK(once == substitute_placeholders(xml, address));
    if (xml.find('%') == std::string::npos) FUZZ_CHECK(once == xml);
    return 0;
}
