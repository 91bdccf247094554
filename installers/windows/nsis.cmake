# The Windows installer's NSIS script: CMake's own template with MailPorter's
# page and switches (mailporter.nsh) wired in, written to the build tree and
# put first on CMAKE_MODULE_PATH, where CPack looks for NSIS.template.in.
# Deriving it (rather than copying CMake's 1,000 lines) keeps every fix of a
# newer CMake; a template this code does not recognise fails the configure
# with a sentence instead of producing an installer without its options.
#
# Included by packaging.cmake for Windows targets (native or cross-built).
set(_nsis_stock "${CMAKE_ROOT}/Modules/Internal/CPack/NSIS.template.in")
if(NOT EXISTS "${_nsis_stock}")
  set(_nsis_stock "${CMAKE_ROOT}/Modules/NSIS.template.in")  # CMake < 3.22
endif()
file(READ "${_nsis_stock}" _nsis)
file(TO_CMAKE_PATH "${CMAKE_CURRENT_LIST_DIR}/mailporter.nsh" _nsh)

function(_mailporter_nsis_edit anchor replacement)
  string(FIND "${_nsis}" "${anchor}" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "installers/windows/nsis.cmake: CMake's NSIS template (${_nsis_stock}) "
                        "no longer has \"${anchor}\"; adapt the edits there")
  endif()
  string(REPLACE "${anchor}" "${replacement}" _edited "${_nsis}")
  set(_nsis "${_edited}" PARENT_SCOPE)
endfunction()

# A 64-bit installer: it runs where 32-bit programs cannot (Wine without
# wine32, Windows on ARM with x64 emulation only) and sees the 64-bit registry.
_mailporter_nsis_edit("; CPack install script designed for a nmake build\n"
  "; CPack install script designed for a nmake build\nUnicode true\nTarget amd64-unicode\n")
# After the installer's attributes (SetCompressor must come before any code).
_mailporter_nsis_edit("  !include Sections.nsh\n" "  !include Sections.nsh\n  !include \"${_nsh}\"\n")
# The page comes after the folder, before the Start menu folder.
_mailporter_nsis_edit("  !insertmacro MUI_PAGE_DIRECTORY\n"
  "  !insertmacro MUI_PAGE_DIRECTORY\n  Page custom MailPorterOptionsPage MailPorterOptionsLeave\n")
# The choices are read first, before .onInit removes an older version.
_mailporter_nsis_edit("Function .onInit\n" "Function .onInit\n  Call MailPorterChoices\n")
_mailporter_nsis_edit("@CPACK_NSIS_EXTRA_PREINSTALL_COMMANDS@\n"
  "  Call MailPorterCloseApp\n@CPACK_NSIS_EXTRA_PREINSTALL_COMMANDS@\n")
_mailporter_nsis_edit("@CPACK_NSIS_EXTRA_INSTALL_COMMANDS@\n"
  "@CPACK_NSIS_EXTRA_INSTALL_COMMANDS@\n  Call MailPorterInstall\n")
_mailporter_nsis_edit("@CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS@\n"
  "  Call un.MailPorterUninstall\n@CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS@\n")

set(_nsis_dir "${CMAKE_BINARY_DIR}/installers/nsis")
file(WRITE "${_nsis_dir}/NSIS.template.in" "${_nsis}")
list(PREPEND CMAKE_MODULE_PATH "${_nsis_dir}")
