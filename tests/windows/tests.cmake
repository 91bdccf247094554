# The Windows build tried on Linux (issue 15): label windows. tests/windows/run.sh
# cross-builds the engine, mailporter-cli.exe, the tray app and the unit suites
# with MinGW-w64 (script/windows-deps builds the dependency prefix once, ~40 min
# on two cores, then reuses it), runs the suites under Wine, relays boxes of
# the real test bed with the Windows CLI, drives the tray app on Xvfb, runs the
# service and installs, upgrades and removes the NSIS installer. script/test
# turns it on (MAILPORTER_WINDOWS=0 leaves it out); a plain configure does not.
option(MAILPORTER_WINDOWS_TESTS "Cross-build for Windows and test under Wine (label windows)" OFF)
if(MAILPORTER_WINDOWS_TESTS AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  add_test(NAME windows_cross COMMAND ${PROJECT_SOURCE_DIR}/tests/windows/run.sh ${CMAKE_BINARY_DIR}/windows)
  set_tests_properties(windows_cross PROPERTIES LABELS windows TIMEOUT 5400 SKIP_RETURN_CODE 77)
endif()

# Built only by the Windows cross build (tests/windows/run.sh runs it under Wine).
if(WIN32)
  mailporter_add_test(test_windows unit windows/secret_store_test.cpp windows/system_trust_test.cpp)
  target_link_libraries(test_windows PRIVATE mailporter_fakes)
endif()
