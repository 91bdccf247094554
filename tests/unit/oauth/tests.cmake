# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_oauth unit
  unit/oauth/form_test.cpp
  unit/oauth/tokens_test.cpp
)
target_link_libraries(test_oauth PRIVATE nlohmann_json::nlohmann_json)
