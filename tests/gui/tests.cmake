# GUI tests (see tests/CMakeLists.txt): the tray app under Xvfb + trayer.
# Needs xvfb, trayer, xdotool, x11-utils and imagemagick; skipped (77) without
# them. The gui_app_* tests also need the real-server test bed (root).
# Screenshots: <build>/gui-artifacts/.
if(MAILPORTER_BUILD_APP)
  # The desktop notifications' grouping and rate limit: wx-free, no display.
  mailporter_add_test(test_notify_batch unit unit/notify_batch_test.cpp ${PROJECT_SOURCE_DIR}/app/notify_batch.cpp)
  target_include_directories(test_notify_batch PRIVATE ${PROJECT_SOURCE_DIR}/app)

  add_test(NAME gui_smoke
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_smoke.sh
            $<TARGET_FILE:mailporter> $<TARGET_FILE:mailporter-cli> ${CMAKE_BINARY_DIR}/gui-artifacts)
  set_tests_properties(gui_smoke PROPERTIES LABELS gui TIMEOUT 120 SKIP_RETURN_CODE 77)

  # The app's windows driven directly (Catch2 on a private Xvfb; no bed, no
  # root): the wizard's folder choice, the push line. Again at 150 % fonts.
  add_executable(test_gui_folders gui/wizard_folders_test.cpp)
  target_link_libraries(test_gui_folders PRIVATE mailporter_ui Catch2::Catch2 mailporter_warnings)
  add_test(NAME gui_wizard_folders
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_catch.sh $<TARGET_FILE:test_gui_folders>
            ${CMAKE_BINARY_DIR}/gui-artifacts/folders --reporter compact)
  add_test(NAME gui_wizard_folders_large_font
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_catch.sh $<TARGET_FILE:test_gui_folders>
            ${CMAKE_BINARY_DIR}/gui-artifacts/large-font/folders --reporter compact)
  set_tests_properties(gui_wizard_folders gui_wizard_folders_large_font PROPERTIES LABELS gui TIMEOUT 120
    SKIP_RETURN_CODE 77)
  set_tests_properties(gui_wizard_folders_large_font PROPERTIES ENVIRONMENT "GDK_DPI_SCALE=1.5")

  # The app with its self-test driver (tests/gui/self_test/): what the
  # gui_app_* tests run; the shipped mailporter has no self-test code.
  add_executable(mailporter-selftest WIN32
    gui/self_test/main.cpp
    gui/self_test/self_test.cpp
    gui/self_test/self_test_first_run.cpp
    gui/self_test/self_test_notify.cpp
    gui/self_test/self_test_signin.cpp)
  target_include_directories(mailporter-selftest PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/gui/self_test)
  target_link_libraries(mailporter-selftest PRIVATE mailporter_app mailporter_warnings)
  if(TARGET mailporter_translations)
    add_dependencies(mailporter-selftest mailporter_translations)
  endif()

  # The bed for shell scripts: tests/integration/testbed.cpp behind stdin/stdout.
  add_executable(gui_bed gui/gui_bed.cpp integration/testbed.cpp)
  target_include_directories(gui_bed PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(gui_bed PRIVATE mailporter_warnings Threads::Threads)

  foreach(scenario states wizard windows latency firstrun signin)
    add_test(NAME gui_app_${scenario}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_app_test.sh ${scenario}
              $<TARGET_FILE:mailporter-selftest> $<TARGET_FILE:mailporter-cli> $<TARGET_FILE:gui_bed>
              ${CMAKE_BINARY_DIR}/gui-artifacts)
    set_tests_properties(gui_app_${scenario} PROPERTIES LABELS gui TIMEOUT 600 SKIP_RETURN_CODE 77
      ENVIRONMENT "MAILPORTER_TESTBED_SCRIPT=${PROJECT_SOURCE_DIR}/tests/bed/testbed.sh")
  endforeach()
  set_tests_properties(gui_app_latency PROPERTIES TIMEOUT 1200)
  # Desktop notifications over D-Bus: a private session bus with a stand-in
  # notification server (tests/gui/notification_server.py, python3-gi).
  add_test(NAME gui_app_notify
    COMMAND dbus-run-session -- ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_app_test.sh notify
            $<TARGET_FILE:mailporter-selftest> $<TARGET_FILE:mailporter-cli> $<TARGET_FILE:gui_bed>
            ${CMAKE_BINARY_DIR}/gui-artifacts)
  set_tests_properties(gui_app_notify PROPERTIES LABELS gui TIMEOUT 600 SKIP_RETURN_CODE 77
    ENVIRONMENT "MAILPORTER_TESTBED_SCRIPT=${PROJECT_SOURCE_DIR}/tests/bed/testbed.sh")
  # The wizard again at 150 % font scaling: everything still fits, nothing is cut.
  add_test(NAME gui_app_wizard_large_font
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_app_test.sh wizard
            $<TARGET_FILE:mailporter-selftest> $<TARGET_FILE:mailporter-cli> $<TARGET_FILE:gui_bed>
            ${CMAKE_BINARY_DIR}/gui-artifacts/large-font)
  set_tests_properties(gui_app_wizard_large_font PROPERTIES LABELS gui TIMEOUT 600 SKIP_RETURN_CODE 77
    ENVIRONMENT "MAILPORTER_TESTBED_SCRIPT=${PROJECT_SOURCE_DIR}/tests/bed/testbed.sh;GDK_DPI_SCALE=1.5")
  add_test(NAME gui_app_firstrun_large_font
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_app_test.sh firstrun
            $<TARGET_FILE:mailporter-selftest> $<TARGET_FILE:mailporter-cli> $<TARGET_FILE:gui_bed>
            ${CMAKE_BINARY_DIR}/gui-artifacts/large-font)
  set_tests_properties(gui_app_firstrun_large_font PROPERTIES LABELS gui TIMEOUT 600 SKIP_RETURN_CODE 77
    ENVIRONMENT "MAILPORTER_TESTBED_SCRIPT=${PROJECT_SOURCE_DIR}/tests/bed/testbed.sh;GDK_DPI_SCALE=1.5")
endif()

# The status window's traffic chart (issue 17): its figures are the core's
# and the history's; a screenshot, traffic-chart.png. No bed, no root.
if(MAILPORTER_BUILD_APP)
  add_executable(test_gui_traffic gui/traffic_chart_test.cpp)
  target_include_directories(test_gui_traffic PRIVATE ${PROJECT_SOURCE_DIR}/core/src)
  target_link_libraries(test_gui_traffic PRIVATE mailporter_ui Catch2::Catch2 mailporter_warnings SQLiteCpp)
  add_test(NAME gui_traffic_chart
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui/gui_catch.sh $<TARGET_FILE:test_gui_traffic>
            ${CMAKE_BINARY_DIR}/gui-artifacts/traffic --reporter compact)
  set_tests_properties(gui_traffic_chart PROPERTIES LABELS gui TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
