# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_mail unit
  unit/mail/header_block_test.cpp
  unit/mail/content_digest_test.cpp
  unit/mail/address_test.cpp
  unit/mail/envelope_test.cpp
  unit/mail/routing_test.cpp
  unit/mail/folder_tag_test.cpp
)
