# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_proto unit
  unit/proto/dot_codec_test.cpp
  unit/proto/pop3_parser_test.cpp
  unit/proto/sanitize_test.cpp
  unit/proto/sasl_test.cpp
  unit/proto/smtp_parser_test.cpp
)
mailporter_add_test(test_imap_parser unit
  unit/proto/imap_parser_test.cpp
  unit/proto/imap_folders_test.cpp
)
