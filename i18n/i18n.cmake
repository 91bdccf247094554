# Translations (included from the top-level CMakeLists.txt, before app/).
#
# - Every i18n/<lang>.po is compiled with `msgfmt --check` (format strings,
#   header, plural forms) to <build>/locale/<lang>/LC_MESSAGES/mailporter.mo
#   by the target mailporter_translations (part of ALL; the app depends on it);
#   a broken catalog fails the build.
# - Installed to share/locale/<lang>/LC_MESSAGES (Linux), bin/locale/... next
#   to mailporter.exe (Windows), MailPorter.app/Contents/Resources/<lang>.lproj
#   (macOS).
# - `ninja pot` re-extracts i18n/mailporter.pot from the sources;
#   i18n/update also merges it into the .po files; i18n/check (CTest
#   i18n_catalogs, label unit) fails when a marked string is not translated.
find_program(MAILPORTER_MSGFMT msgfmt)
find_program(MAILPORTER_XGETTEXT xgettext)

file(GLOB MAILPORTER_PO_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.po)
list(SORT MAILPORTER_PO_FILES)
set(MAILPORTER_LANGUAGES "")
set(MAILPORTER_LOCALE_DIR ${CMAKE_BINARY_DIR}/locale)

if(MAILPORTER_MSGFMT AND MAILPORTER_BUILD_APP)  # only the app is translated
  set(_mo_files "")
  foreach(po IN LISTS MAILPORTER_PO_FILES)
    get_filename_component(lang ${po} NAME_WE)
    list(APPEND MAILPORTER_LANGUAGES ${lang})
    set(mo ${MAILPORTER_LOCALE_DIR}/${lang}/LC_MESSAGES/mailporter.mo)
    add_custom_command(
      OUTPUT ${mo}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${MAILPORTER_LOCALE_DIR}/${lang}/LC_MESSAGES
      COMMAND ${MAILPORTER_MSGFMT} --check --check-accelerators=& --output-file=${mo} ${po}
      DEPENDS ${po}
      COMMENT "Compiling the ${lang} catalog"
      VERBATIM)
    list(APPEND _mo_files ${mo})
    if(APPLE)
      install(FILES ${mo} DESTINATION MailPorter.app/Contents/Resources/${lang}.lproj)
    elseif(WIN32)
      install(FILES ${mo} DESTINATION bin/locale/${lang}/LC_MESSAGES)
    else()
      install(FILES ${mo} DESTINATION share/locale/${lang}/LC_MESSAGES)
    endif()
  endforeach()
  add_custom_target(mailporter_translations ALL DEPENDS ${_mo_files})
elseif(MAILPORTER_BUILD_APP)
  message(WARNING "msgfmt not found (Debian: apt-get install gettext): MailPorter is built without translations")
endif()

if(MAILPORTER_XGETTEXT)
  add_custom_target(pot
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DPOT=${CMAKE_CURRENT_LIST_DIR}/mailporter.pot
            -DXGETTEXT=${MAILPORTER_XGETTEXT} -DVERSION=${PROJECT_VERSION}
            -P ${CMAKE_CURRENT_LIST_DIR}/extract.cmake
    COMMENT "Extracting the marked strings into i18n/mailporter.pot"
    VERBATIM)
endif()
