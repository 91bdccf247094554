# fuzz (label fuzz): script/fuzz 15 — every libFuzzer target for 15 s on its
# seed corpus. It configures and builds build/fuzz with clang-14 itself (the
# targets never join this build); about 2 minutes of building from scratch on
# two cores, then 9 x 15 s. Skipped (77) without clang-14.
if(UNIX)
  add_test(NAME fuzz COMMAND ${PROJECT_SOURCE_DIR}/script/fuzz 15)
  set_tests_properties(fuzz PROPERTIES LABELS fuzz TIMEOUT 900 SKIP_RETURN_CODE 77)
endif()
