# GUI tests (see tests/CMakeLists.txt).
