# Translations and packages (see tests/CMakeLists.txt).
#   i18n_catalogs (unit)  i18n/check: every marked string translated in every
#                         catalog, placeholders and plural forms right.
#   test_i18n (unit)      app/i18n.cpp loads the compiled catalogs of this build.
#   package_deb (package) builds the DEB and the RPM with CPack, installs the
#                         DEB into a private root, runs what it installed
#                         (the app under Xvfb), lintian, rpm -qpl.
if(UNIX)  # bash + gettext tools
  add_test(NAME i18n_catalogs COMMAND ${PROJECT_SOURCE_DIR}/i18n/check ${CMAKE_BINARY_DIR}/i18n-check)
  set_tests_properties(i18n_catalogs PROPERTIES LABELS unit TIMEOUT 120)
endif()

if(MAILPORTER_BUILD_APP)
  find_package(wxWidgets 3.2 REQUIRED COMPONENTS base)
  add_executable(test_i18n package/i18n_test.cpp ${PROJECT_SOURCE_DIR}/app/i18n.cpp)
  target_include_directories(test_i18n PRIVATE ${PROJECT_SOURCE_DIR}/app)
  target_include_directories(test_i18n SYSTEM PRIVATE ${wxWidgets_INCLUDE_DIRS})
  target_compile_definitions(test_i18n PRIVATE ${wxWidgets_DEFINITIONS})
  target_compile_options(test_i18n PRIVATE ${wxWidgets_CXX_FLAGS})
  target_link_libraries(test_i18n PRIVATE mailporter_catch_main ${wxWidgets_LIBRARIES} mailporter_warnings)
  if(TARGET mailporter_translations)
    add_dependencies(test_i18n mailporter_translations)
  endif()
  add_test(NAME test_i18n COMMAND test_i18n --reporter compact --durations no)
  set_tests_properties(test_i18n PROPERTIES LABELS unit TIMEOUT 60
    ENVIRONMENT "MAILPORTER_SOURCE_DIR=${PROJECT_SOURCE_DIR};MAILPORTER_BINARY_DIR=${PROJECT_BINARY_DIR}")

  if(UNIX AND NOT APPLE)
    add_test(NAME package_deb
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/package/package_test.sh ${PROJECT_BINARY_DIR} ${PROJECT_BINARY_DIR}/package-test)
    set_tests_properties(package_deb PROPERTIES LABELS package TIMEOUT 600 SKIP_RETURN_CODE 77)
  endif()
endif()
# script/bootstrap in a scratch root with stub apt-get and dpkg-query: a
# fresh container (policy-rc.d present or not, nothing or everything to
# install, a package that fails).
add_test(NAME bootstrap COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bootstrap_test.sh)
set_tests_properties(bootstrap PROPERTIES LABELS unit ENVIRONMENT "MAILPORTER_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
