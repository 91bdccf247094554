// app/i18n.cpp against the compiled catalogs of the build tree
// (<build>/locale/<lang>/LC_MESSAGES/mailporter.mo): every translated entry
// of i18n/<lang>.po is found through mailporter_init_translations(), plural
// forms follow each language's rule, wx's own catalog (wxstd) loads too, and
// "en" shows the source strings.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <wx/init.h>
#include <wx/translation.h>

#include "i18n.h"

namespace {

struct Entry {
    std::string id, plural;
    std::vector<std::string> str;  // msgstr, or msgstr[0..]
};

std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char c = s[++i];
            out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The translated, non-fuzzy entries of a .po file (no msgctxt in our catalogs yet;
// entries with a context are skipped).
std::vector<Entry> read_po(const std::string& path) {
    std::ifstream in(path);
    std::vector<Entry> entries;
    Entry cur;
    std::string* target = nullptr;
    bool fuzzy = false, context = false, obsolete = false;
    auto flush = [&] {
        bool complete = !cur.str.empty();
        for (const auto& s : cur.str) complete = complete && !s.empty();
        if (!cur.id.empty() && complete && !fuzzy && !context && !obsolete) entries.push_back(cur);
        cur = Entry{};
        target = nullptr;
        fuzzy = context = obsolete = false;
    };
    auto quoted = [](const std::string& line) {
        const auto a = line.find('"'), b = line.rfind('"');
        return a == std::string::npos || b <= a ? std::string() : unescape(line.substr(a + 1, b - a - 1));
    };
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) {
            flush();
        } else if (line.rfind("#~", 0) == 0) {
            obsolete = true;
        } else if (line.rfind("#,", 0) == 0) {
            if (line.find("fuzzy") != std::string::npos) fuzzy = true;
        } else if (line[0] == '#') {
        } else if (line.rfind("msgctxt ", 0) == 0) {
            context = true;
            target = nullptr;
        } else if (line.rfind("msgid_plural ", 0) == 0) {
            cur.plural = quoted(line);
            target = &cur.plural;
        } else if (line.rfind("msgid ", 0) == 0) {
            cur.id = quoted(line);
            target = &cur.id;
        } else if (line.rfind("msgstr", 0) == 0) {
            cur.str.push_back(quoted(line));
            target = &cur.str.back();
        } else if (line[0] == '"' && target) {
            *target += quoted(line);
        }
    }
    flush();
    return entries;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string utf8(const wxString& s) { return s.utf8_string(); }

struct WxRuntime {
    WxRuntime() {
        // The catalogs of this build tree, whatever the test's own location.
        setenv("MAILPORTER_LOCALE_DIR", (env("MAILPORTER_BINARY_DIR") + "/locale").c_str(), 1);
    }
    wxInitializer init;
};

WxRuntime& runtime() {
    static WxRuntime r;
    return r;
}

void check_language(const std::string& lang, int singular_zero) {
    REQUIRE(runtime().init.IsOk());
    const auto entries = read_po(env("MAILPORTER_SOURCE_DIR") + "/i18n/" + lang + ".po");
    REQUIRE(!entries.empty());
    mailporter_init_translations(wxString::FromUTF8(lang));
    int plurals = 0;
    for (const auto& e : entries) {
        const wxString id = wxString::FromUTF8(e.id);
        INFO(lang << ": " << e.id);
        if (e.plural.empty()) {
            CHECK(utf8(wxGetTranslation(id)) == e.str.at(0));
            continue;
        }
        ++plurals;
        REQUIRE(e.str.size() == 2);
        const wxString plural = wxString::FromUTF8(e.plural);
        CHECK(utf8(wxGetTranslation(id, plural, 1)) == e.str[0]);
        CHECK(utf8(wxGetTranslation(id, plural, 2)) == e.str[1]);
        CHECK(utf8(wxGetTranslation(id, plural, 5)) == e.str[1]);
        CHECK(utf8(wxGetTranslation(id, plural, 0)) == e.str[singular_zero ? 0 : 1]);
    }
    WARN(lang << ": " << entries.size() << " translated entries checked, " << plurals << " with plural forms");
}

}  // namespace

TEST_CASE("German: every translated entry loads, plural of 0 is the plural form", "[i18n]") { check_language("de", 0); }

TEST_CASE("French: every translated entry loads, 0 and 1 take the singular", "[i18n]") { check_language("fr", 1); }

TEST_CASE("English override shows the source strings", "[i18n]") {
    REQUIRE(runtime().init.IsOk());
    mailporter_init_translations("en");
    CHECK(wxGetTranslation("&Quit") == "&Quit");
    CHECK(wxGetTranslation("%d message", "%d messages", 2) == "%d messages");
}

TEST_CASE("wx's own catalog is loaded with ours", "[i18n]") {
    REQUIRE(runtime().init.IsOk());
    mailporter_init_translations("de");
    const auto* t = wxTranslations::Get();
    REQUIRE(t);
    CHECK(t->IsLoaded("mailporter"));
    if (!t->IsLoaded("wxstd-3.2") && !t->IsLoaded("wxstd")) {
        WARN("wx's German catalog is not installed (Debian: wx3.2-i18n); not checked");
        return;
    }
    CHECK(utf8(wxGetTranslation("Cancel")) == "Abbrechen");
}

TEST_CASE("The languages with a catalog are listed", "[i18n]") {
    REQUIRE(runtime().init.IsOk());
    mailporter_init_translations("");
    const wxArrayString languages = mailporter_available_languages();
    CHECK(languages.Index("de") != wxNOT_FOUND);
    CHECK(languages.Index("fr") != wxNOT_FOUND);
    CHECK(languages.Index("en") == wxNOT_FOUND);
}
