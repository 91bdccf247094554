# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_detect unit
  unit/detect/dns_message_test.cpp
  unit/detect/autoconfig_test.cpp
  unit/detect/http_test.cpp
  unit/detect/candidates_test.cpp
)
