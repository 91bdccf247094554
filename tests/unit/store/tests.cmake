# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_store unit
  unit/store/database_test.cpp
  unit/store/message_store_test.cpp
  unit/store/secret_store_test.cpp
  unit/store/data_dir_test.cpp
  unit/store/workspace_test.cpp
)
# Traffic at a glance (issue 17): hourly buckets from history.
mailporter_add_test(test_traffic unit unit/store/traffic_test.cpp)
