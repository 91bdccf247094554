# Installers (included at the end of the top-level CMakeLists.txt).
#
#   cpack -G DEB   (or: ninja package)      Debian/Ubuntu .deb
#   cpack -G RPM                            Fedora/openSUSE .rpm
#   cpack -G NSIS                           Windows installer (on Windows)
#   cpack -G DragNDrop                      macOS .dmg (on macOS)
#
# Install layout (prefix /usr in the Linux packages):
#   bin/mailporter, bin/mailporter-cli
#   share/applications/mailporter.desktop           (app/CMakeLists.txt)
#   share/icons/hicolor/scalable/apps/mailporter.svg (app/CMakeLists.txt)
#   share/icons/hicolor/<N>x<N>/apps/mailporter.png  (N = 16 ... 256, rendered from the SVG)
#   share/metainfo/org.mailporter.MailPorter.metainfo.xml
#   share/locale/<lang>/LC_MESSAGES/mailporter.mo    (i18n/i18n.cmake)
#   lib/systemd/user/mailporter.service              (mailporter-cli run, headless)
# Start at login is the app's own switch (app/autostart.cpp): it writes
# $XDG_CONFIG_HOME/autostart/mailporter.desktop, the HKCU ...\Run value
# "MailPorter" (which the NSIS installer also sets and its uninstaller removes)
# or ~/Library/LaunchAgents/org.mailporter.MailPorter.plist.
#   share/man/man1/mailporter.1.gz, mailporter-cli.1.gz
#   share/doc/mailporter/copyright, changelog.Debian.gz, share/lintian/overrides/mailporter
set(MAILPORTER_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})
set(MAILPORTER_PACKAGE_MAINTAINER "MailPorter maintainers <packages@mailporter.org>"
    CACHE STRING "Maintainer named in the Linux packages")
set(MAILPORTER_PACKAGE_RELEASE 1 CACHE STRING "Package release (the -N after the version)")
set(MAILPORTER_APP_ID org.mailporter.MailPorter)
set(_gen ${CMAKE_BINARY_DIR}/installers)
file(MAKE_DIRECTORY ${_gen})

if(UNIX AND NOT APPLE)
  include(GNUInstallDirs)

  # --- the tray app's desktop integration -------------------------------
  if(TARGET mailporter)
    # hicolor PNGs, rendered from the same SVG the scalable icon is.
    find_program(MAILPORTER_RSVG_CONVERT rsvg-convert)
    set(_svg ${PROJECT_SOURCE_DIR}/resources/icons/envelope-green.svg)
    if(MAILPORTER_RSVG_CONVERT)
      set(_pngs "")
      foreach(size 16 22 24 32 48 64 128 256)
        set(_png ${_gen}/icons/hicolor/${size}x${size}/apps/mailporter.png)
        add_custom_command(
          OUTPUT ${_png}
          COMMAND ${CMAKE_COMMAND} -E make_directory ${_gen}/icons/hicolor/${size}x${size}/apps
          COMMAND ${MAILPORTER_RSVG_CONVERT} --width=${size} --height=${size} --keep-aspect-ratio
                  --output=${_png} ${_svg}
          DEPENDS ${_svg}
          COMMENT "Rendering the ${size}x${size} icon"
          VERBATIM)
        list(APPEND _pngs ${_png})
      endforeach()
      add_custom_target(mailporter_icons ALL DEPENDS ${_pngs})
      install(DIRECTORY ${_gen}/icons/hicolor DESTINATION ${CMAKE_INSTALL_DATADIR}/icons)
    else()
      message(WARNING "rsvg-convert not found (Debian: apt-get install librsvg2-bin): "
                      "only the scalable icon is installed")
    endif()

    install(FILES ${MAILPORTER_PACKAGING_DIR}/linux/${MAILPORTER_APP_ID}.metainfo.xml
            DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  endif()

  # --- the headless engine as a systemd user service --------------------
  # ExecStart names the installed mailporter-cli: the prefix is only known at
  # install time (/usr in the packages, /usr/local for a plain install).
  install(CODE "
    file(READ \"${MAILPORTER_PACKAGING_DIR}/linux/mailporter.service.in\" _unit)
    string(REPLACE \"@BINDIR@\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\" _unit \"\${_unit}\")
    file(WRITE \"${_gen}/mailporter.service\" \"\${_unit}\")
  ")
  install(FILES ${_gen}/mailporter.service DESTINATION lib/systemd/user)

  # --- man pages, copyright, changelog (gzip -9n: reproducible) ---------
  find_program(MAILPORTER_GZIP gzip)
  string(TIMESTAMP _changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
  set(MAILPORTER_DEB_VERSION ${PROJECT_VERSION}-${MAILPORTER_PACKAGE_RELEASE})
  if(NOT EXISTS ${_gen}/changelog.Debian OR ${MAILPORTER_PACKAGING_DIR}/linux/changelog.in IS_NEWER_THAN ${_gen}/changelog.Debian)
    set(MAILPORTER_CHANGELOG_DATE ${_changelog_date})
  else()
    file(STRINGS ${_gen}/changelog.Debian _last REGEX "^ -- ")
    string(REGEX REPLACE ".*>  " "" MAILPORTER_CHANGELOG_DATE "${_last}")
  endif()
  configure_file(${MAILPORTER_PACKAGING_DIR}/linux/changelog.in ${_gen}/changelog.Debian @ONLY)
  set(_docs "")
  foreach(doc changelog.Debian mailporter.1 mailporter-cli.1)
    if(doc MATCHES "\\.1$")
      configure_file(${MAILPORTER_PACKAGING_DIR}/linux/${doc} ${_gen}/${doc} COPYONLY)
    endif()
    if(MAILPORTER_GZIP)
      execute_process(COMMAND ${MAILPORTER_GZIP} -9nf -k ${_gen}/${doc})
    endif()
  endforeach()
  install(FILES ${MAILPORTER_PACKAGING_DIR}/linux/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/mailporter)
  install(FILES ${MAILPORTER_PACKAGING_DIR}/linux/lintian-overrides
          DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME mailporter)
  if(MAILPORTER_GZIP)
    install(FILES ${_gen}/changelog.Debian.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/mailporter)
    install(FILES ${_gen}/mailporter-cli.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
    if(TARGET mailporter)
      install(FILES ${_gen}/mailporter.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
    endif()
  endif()
endif()

# --- macOS: the bundle lives in the menu bar (LSUIElement) -----------------
if(APPLE AND TARGET mailporter)
  set(_icns ${PROJECT_SOURCE_DIR}/resources/icons/mailporter.icns)
  set_source_files_properties(${_icns} PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
  target_sources(mailporter PRIVATE ${_icns})
  set_target_properties(mailporter PROPERTIES
    OUTPUT_NAME MailPorter
    MACOSX_BUNDLE_INFO_PLIST ${MAILPORTER_PACKAGING_DIR}/macos/Info.plist.in
    MACOSX_BUNDLE_BUNDLE_NAME MailPorter
    MACOSX_BUNDLE_GUI_IDENTIFIER ${MAILPORTER_APP_ID}
    MACOSX_BUNDLE_ICON_FILE mailporter.icns
    MACOSX_BUNDLE_BUNDLE_VERSION ${PROJECT_VERSION}
    MACOSX_BUNDLE_SHORT_VERSION_STRING ${PROJECT_VERSION})
endif()

# --- CPack ----------------------------------------------------------------
set(CPACK_VERBATIM_VARIABLES ON)  # values reach CPack as written here
set(CPACK_PACKAGE_NAME mailporter)
set(CPACK_PACKAGE_VENDOR "The MailPorter authors")
set(CPACK_PACKAGE_CONTACT "${MAILPORTER_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "relays mail from provider mailboxes to the office mail server")
set(CPACK_PACKAGE_DESCRIPTION_FILE ${MAILPORTER_PACKAGING_DIR}/description.txt)
set(CPACK_PACKAGE_HOMEPAGE_URL "https://mailporter.org")
set(CPACK_PACKAGE_INSTALL_DIRECTORY MailPorter)
set(CPACK_PACKAGE_EXECUTABLES mailporter MailPorter)
if(NOT WIN32)  # Windows: its own, below
  configure_file(${MAILPORTER_PACKAGING_DIR}/linux/copyright ${_gen}/License.txt COPYONLY)
endif()
set(CPACK_RESOURCE_FILE_LICENSE ${_gen}/License.txt)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_SOURCE_GENERATOR TXZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\.git/" "/build[^/]*/" "/out/")

if(WIN32)
  set(CPACK_GENERATOR NSIS)
elseif(APPLE)
  set(CPACK_GENERATOR DragNDrop)
else()
  set(CPACK_GENERATOR DEB RPM)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
endif()

# Debian
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${MAILPORTER_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the ELF files (wx, OpenSSL, SQLite, libsecret, ...)
# A Secret Service for the keyring (gnome-keyring, KeePassXC, KWallet ...), wx's own translations.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnome-keyring | org.freedesktop.secrets, wx3.2-i18n")
# GNOME shows tray icons only with this extension.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gnome-shell-extension-appindicator")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

# RPM
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE ${MAILPORTER_PACKAGE_RELEASE})
set(CPACK_RPM_PACKAGE_LICENSE "Proprietary")
set(CPACK_RPM_PACKAGE_GROUP "Applications/Internet")
set(CPACK_RPM_PACKAGE_URL "${CPACK_PACKAGE_HOMEPAGE_URL}")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_SUGGESTS "gnome-keyring")
# Directories the distribution's filesystem packages own.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /usr/share/applications /usr/share/icons /usr/share/icons/hicolor /usr/share/metainfo
  /usr/share/locale /usr/share/man /usr/share/man/man1 /usr/share/doc /usr/share/lintian
  /usr/share/lintian/overrides /usr/lib/systemd
  /usr/lib/systemd/user /usr/lib/.build-id)
foreach(size 16x16 22x22 24x24 32x32 48x48 64x64 128x128 256x256 scalable)
  list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /usr/share/icons/hicolor/${size} /usr/share/icons/hicolor/${size}/apps)
endforeach()
foreach(lang IN LISTS MAILPORTER_LANGUAGES)
  list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /usr/share/locale/${lang} /usr/share/locale/${lang}/LC_MESSAGES)
endforeach()

# Windows (NSIS): MailPorter-<version>-win64.exe, a 64-bit installer into
# Program Files\MailPorter: Start menu entry (CPACK_PACKAGE_EXECUTABLES),
# uninstaller, and the "How MailPorter runs" page with its silent switches
# /AUTOSTART=0|1 (HKCU ...\Run "MailPorter" = "<dir>\bin\mailporter.exe"
# --hidden, the value the app's Settings switch writes) and /SERVICE=0|1 (the
# engine as the "MailPorter" Windows service): windows/mailporter.nsh.
set(CPACK_NSIS_PACKAGE_NAME MailPorter)
set(CPACK_NSIS_DISPLAY_NAME MailPorter)
set(CPACK_NSIS_INSTALL_ROOT "$PROGRAMFILES64")
set(CPACK_NSIS_MUI_ICON ${PROJECT_SOURCE_DIR}/resources/icons/mailporter.ico)
set(CPACK_NSIS_MUI_UNIICON ${PROJECT_SOURCE_DIR}/resources/icons/mailporter.ico)
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\mailporter.exe")
set(CPACK_NSIS_URL_INFO_ABOUT "${CPACK_PACKAGE_HOMEPAGE_URL}")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_MUI_FINISHPAGE_RUN mailporter.exe)
if(WIN32)
  set(CPACK_PACKAGE_FILE_NAME "MailPorter-${PROJECT_VERSION}-win64")
  # The Windows programs carry their libraries inside (static): the licence
  # page and THIRD-PARTY.txt name them and give their licences.
  file(READ ${MAILPORTER_PACKAGING_DIR}/windows/license.txt _license)
  file(READ ${MAILPORTER_PACKAGING_DIR}/windows/third-party.txt _third_party)
  file(WRITE ${_gen}/License.txt "${_license}${_third_party}")
  install(FILES ${MAILPORTER_PACKAGING_DIR}/windows/third-party.txt DESTINATION . RENAME THIRD-PARTY.txt)
  include(${MAILPORTER_PACKAGING_DIR}/windows/nsis.cmake)
  # Cross-built executables are linked statically (cmake/mingw-w64-x86_64.cmake):
  # nothing to ship beside them. A native build with vcpkg's DLLs (wx, OpenSSL,
  # SQLite) puts them next to the executables: nothing is installed system-wide.
  if(NOT CMAKE_CROSSCOMPILING)
    set(_exes "$<TARGET_FILE:mailporter-cli>")
    if(TARGET mailporter)
      list(APPEND _exes "$<TARGET_FILE:mailporter>")
    endif()
    install(CODE "
      file(GET_RUNTIME_DEPENDENCIES EXECUTABLES ${_exes}
        RESOLVED_DEPENDENCIES_VAR _deps UNRESOLVED_DEPENDENCIES_VAR _unresolved
        DIRECTORIES \"$<TARGET_FILE_DIR:mailporter-cli>\"
        PRE_EXCLUDE_REGEXES \"^api-ms-\" \"^ext-ms-\"
        POST_EXCLUDE_REGEXES \".*[Ss]ystem32/.*\")
      file(INSTALL \${_deps} DESTINATION \"\${CMAKE_INSTALL_PREFIX}/bin\")
    ")
  endif()
endif()

# macOS (DragNDrop): the .dmg with MailPorter.app and a link to /Applications.
set(CPACK_DMG_VOLUME_NAME MailPorter)
set(CPACK_DMG_FORMAT UDZO)
set(CPACK_BUNDLE_NAME MailPorter)

include(CPack)
