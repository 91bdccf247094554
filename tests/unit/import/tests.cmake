# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_import unit
  unit/import/fetchmailrc_test.cpp
  unit/import/config_file_test.cpp
  unit/import/same_box_test.cpp
)
target_link_libraries(test_import PRIVATE nlohmann_json::nlohmann_json)
