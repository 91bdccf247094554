// fetchmail run control files (import/fetchmailrc, mailporter/import.h).
// Properties: no crash; a refused file names its line ("line N: ..."); every
// account imported passes validate(Account) and has a unique name; every
// note names a line of the file.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "mailporter/import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t lines = 1;
    for (const char c : text) lines += c == '\n';
    for (const char* domain : {"", "office.test"}) {
        auto r = mailporter::parse_fetchmailrc(text, {domain});
        if (!r) {
            FUZZ_CHECK(r.error().code == mailporter::Errc::ConfigInvalid);
            FUZZ_CHECK(r.error().detail.rfind("line ", 0) == 0);
            continue;
        }
        std::set<std::string> names;
        for (const auto& a : r->accounts) {
            FUZZ_CHECK(mailporter::validate(a.account).ok());
            std::string lower = a.account.name;
            for (auto& c : lower)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            FUZZ_CHECK(names.insert(lower).second);
            FUZZ_CHECK(a.line >= 1 && static_cast<std::size_t>(a.line) <= lines);
        }
        for (const auto* list : {&r->unmapped, &r->notes})
            for (const auto& n : *list) FUZZ_CHECK(n.line >= 1 && static_cast<std::size_t>(n.line) <= lines);
        if (r->office) FUZZ_CHECK(mailporter::validate(*r->office).ok());
    }
    return 0;
}
