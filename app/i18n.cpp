// See i18n.h.
#include "i18n.h"

#include <wx/dir.h>
#include <wx/filefn.h>
#include <wx/filename.h>
#include <wx/intl.h>
#include <wx/stdpaths.h>
#include <wx/translation.h>
#include <wx/uilocale.h>
#include <wx/utils.h>

namespace {

constexpr const char* Domain = "mailporter";

// True when `dir` holds <lang>/LC_MESSAGES/mailporter.mo or
// <lang>.lproj/mailporter.mo for at least one language.
bool holds_catalogs(const wxString& dir) {
    if (!wxDirExists(dir)) return false;
    wxDir d(dir);
    if (!d.IsOpened()) return false;
    const wxString file = wxString(Domain) + ".mo";
    wxString sub;
    for (bool more = d.GetFirst(&sub, wxEmptyString, wxDIR_DIRS); more; more = d.GetNext(&sub)) {
        const wxString base = dir + wxFILE_SEP_PATH + sub + wxFILE_SEP_PATH;
        if (wxFileExists(base + "LC_MESSAGES" + wxFILE_SEP_PATH + file) || wxFileExists(base + file)) return true;
    }
    return false;
}

wxArrayString catalog_dirs() {
    wxArrayString candidates;
    wxString env;
    if (wxGetEnv("MAILPORTER_LOCALE_DIR", &env) && !env.empty()) candidates.Add(env);
    const wxString exe_dir = wxFileName(wxStandardPaths::Get().GetExecutablePath()).GetPath();
    candidates.Add(exe_dir + "/locale");
#if defined(__WXOSX__)
    candidates.Add(wxStandardPaths::Get().GetResourcesDir());
#endif
    candidates.Add(exe_dir + "/../share/locale");
    candidates.Add(exe_dir + "/../locale");     // <build>/app/mailporter
    candidates.Add(exe_dir + "/../../locale");  // <build>/app/<Config>/mailporter.exe
    wxArrayString dirs;
    for (const wxString& c : candidates) {
        wxFileName fn = wxFileName::DirName(c);
        fn.Normalize(wxPATH_NORM_DOTS | wxPATH_NORM_ABSOLUTE | wxPATH_NORM_TILDE);
        const wxString dir = fn.GetPath();
        if (dirs.Index(dir) == wxNOT_FOUND && holds_catalogs(dir)) dirs.Add(dir);
    }
    return dirs;
}

}  // namespace

void mailporter_init_translations(const wxString& language_override) {
    // Dates and numbers follow the system's locale whatever the UI language.
    static bool locale_set = false;
    if (!locale_set) {
        wxUILocale::UseDefault();
        locale_set = true;
    }
    for (const wxString& dir : catalog_dirs()) wxFileTranslationsLoader::AddCatalogLookupPathPrefix(dir);

    auto* translations = new wxTranslations;
    wxTranslations::Set(translations);  // owns it; deletes the previous one

    wxString language = language_override;
    language.Trim(true).Trim(false);
    if (!language.empty() && language.CmpNoCase("system") != 0) {
        language.Replace("-", "_");  // BCP 47 "pt-BR" -> gettext "pt_BR"
        translations->SetLanguage(language);
#if defined(__UNIX__) && !defined(__WXOSX__)
        // GTK's own texts (stock buttons, file dialogs) come from its gettext
        // catalogs, which follow LANGUAGE (unless the locale is C/POSIX).
        wxSetEnv("LANGUAGE", language);
#endif
    }
    // A missing catalog is not an error: the texts stay English.
    translations->AddStdCatalog();
    translations->AddCatalog(Domain);
}

wxArrayString mailporter_available_languages() {
    wxArrayString languages;
    if (wxTranslations* t = wxTranslations::Get()) {
        for (const wxString& lang : t->GetAvailableTranslations(Domain))
            if (languages.Index(lang) == wxNOT_FOUND) languages.Add(lang);
    }
    languages.Sort();
    return languages;
}
