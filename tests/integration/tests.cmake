# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
