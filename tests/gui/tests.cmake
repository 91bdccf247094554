# GUI tests (see tests/CMakeLists.txt): the tray app under Xvfb + trayer.
# Needs xvfb, trayer, xdotool, x11-utils and imagemagick; skipped (77) without them.
if(MAILPORTER_BUILD_APP)
  add_test(NAME gui_smoke
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_smoke.sh
            $<TARGET_FILE:mailporter> $<TARGET_FILE:mailporter-cli> ${CMAKE_BINARY_DIR}/gui-artifacts)
  set_tests_properties(gui_smoke PROPERTIES LABELS gui TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
