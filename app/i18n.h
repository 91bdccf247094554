#pragma once
// MailPorter's translations: finds the catalog directory and sets up
// wxTranslations with wx's own catalog (wxstd) and MailPorter's (mailporter).
// Self-contained; nothing else in app/ depends on it but the one call in OnInit.

#include <wx/arrstr.h>
#include <wx/string.h>

// Call once in wxApp::OnInit, before the first window or translated string.
// `language_override`: "" (or "system") follows the system's languages
// (LANGUAGE, LC_ALL, LC_MESSAGES, LANG on Unix; the user's UI languages on
// Windows and macOS); otherwise a language tag such as "de", "fr", "de_CH",
// "pt-BR" or "en" (English, the language of the source strings).
// Catalogs are looked up in, first found wins:
//   $MAILPORTER_LOCALE_DIR                (tests, relocated installs)
//   <exe dir>/locale                      (Windows: next to mailporter.exe)
//   <bundle>/Contents/Resources           (macOS: <lang>.lproj/mailporter.mo)
//   <exe dir>/../share/locale             (installed: <prefix>/share/locale)
//   <exe dir>/../locale, ../../locale     (build tree: <build>/locale)
// and then wx's own default places (its install prefix's share/locale).
// Calling it again (e.g. after the language setting changed) replaces the
// translations; windows that already exist keep their texts.
void mailporter_init_translations(const wxString& language_override);

// The languages MailPorter has a catalog for (e.g. "de", "fr"; English, the
// source language, is not listed), sorted — for a Settings choice. Valid
// after mailporter_init_translations().
wxArrayString mailporter_available_languages();
