# Extracts every string marked for translation into a .pot file.
#
#   cmake [-DSOURCE_DIR=<top of the tree>] [-DPOT=<out.pot>] [-DXGETTEXT=<path>]
#         [-DVERSION=<x.y.z>] -P i18n/extract.cmake
#
# Locations name the file only (no line numbers), so editing code around a
# string does not churn the catalogs. Scans the C++ sources of app/, cli/ and core/ (sorted, so the output is
# stable) with wxWidgets' keywords. The POT-Creation-Date is the only header
# line that changes from run to run: when nothing else changed the file is
# left untouched, so re-running this never dirties the tree by itself.
# Used by the `pot` build target and by i18n/update.
cmake_minimum_required(VERSION 3.22)

if(NOT SOURCE_DIR)
  get_filename_component(SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
endif()
if(NOT POT)
  set(POT "${SOURCE_DIR}/i18n/mailporter.pot")
endif()
if(NOT XGETTEXT)
  find_program(XGETTEXT xgettext)
endif()
if(NOT XGETTEXT)
  message(FATAL_ERROR "xgettext not found (Debian: apt-get install gettext)")
endif()
if(NOT VERSION)
  file(STRINGS "${SOURCE_DIR}/CMakeLists.txt" _project REGEX "^project\\(MailPorter VERSION")
  string(REGEX REPLACE ".*VERSION ([0-9.]+).*" "\\1" VERSION "${_project}")
endif()

file(GLOB_RECURSE _sources RELATIVE "${SOURCE_DIR}"
  "${SOURCE_DIR}/app/*.cpp" "${SOURCE_DIR}/app/*.h"
  "${SOURCE_DIR}/cli/*.cpp" "${SOURCE_DIR}/cli/*.h"
  "${SOURCE_DIR}/core/*.cpp" "${SOURCE_DIR}/core/*.h")
list(SORT _sources)
string(REPLACE ";" "\n" _list "${_sources}")
get_filename_component(_out_dir "${POT}" DIRECTORY)
file(MAKE_DIRECTORY "${_out_dir}")
set(_files "${POT}.files")
set(_tmp "${POT}.new")
file(WRITE "${_files}" "${_list}\n")

execute_process(
  COMMAND "${XGETTEXT}" --language=C++ --from-code=UTF-8 --add-comments=TRANSLATORS:
          --keyword=_ --keyword=wxPLURAL:1,2 --keyword=wxTRANSLATE
          --keyword=wxGETTEXT_IN_CONTEXT:1c,2 --keyword=wxGETTEXT_IN_CONTEXT_PLURAL:1c,2,3
          --keyword=wxTRANSLATE_IN_CONTEXT:1c,2
          --package-name=MailPorter --package-version=${VERSION}
          --copyright-holder=The\ MailPorter\ authors
          --add-location=file --sort-by-file --width=100
          --directory=${SOURCE_DIR} --files-from=${_files} --output=${_tmp}
  RESULT_VARIABLE _rc)
file(REMOVE "${_files}")
if(NOT _rc EQUAL 0)
  file(REMOVE "${_tmp}")
  message(FATAL_ERROR "xgettext failed (${_rc})")
endif()
if(NOT EXISTS "${_tmp}")  # no marked string at all
  file(WRITE "${_tmp}" "")
endif()

# Make the header this project's: a real title instead of xgettext's template text.
file(READ "${_tmp}" _new)
string(REPLACE "# SOME DESCRIPTIVE TITLE.\n" "# Messages of MailPorter, the mail relay for small offices.\n" _new "${_new}")
string(REPLACE "# This file is distributed under the same license as the MailPorter package.\n"
               "# This file is distributed under the same license as MailPorter.\n" _new "${_new}")
string(REPLACE "\"Content-Type: text/plain; charset=CHARSET\\n\"" "\"Content-Type: text/plain; charset=UTF-8\\n\"" _new "${_new}")

set(_old "")
if(EXISTS "${POT}")
  file(READ "${POT}" _old)
endif()
string(REGEX REPLACE "\"POT-Creation-Date: [^\"]*\"" "" _old_cmp "${_old}")
string(REGEX REPLACE "\"POT-Creation-Date: [^\"]*\"" "" _new_cmp "${_new}")
file(REMOVE "${_tmp}")
string(REGEX MATCHALL "\nmsgid \"" _ids "${_new}")
list(LENGTH _ids _count)
math(EXPR _count "${_count} - 1")  # the header entry
if(_old_cmp STREQUAL _new_cmp)
  message(STATUS "${POT}: unchanged (${_count} messages)")
else()
  file(WRITE "${POT}" "${_new}")
  message(STATUS "${POT}: written (${_count} messages)")
endif()
