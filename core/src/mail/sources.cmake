list(APPEND MAILPORTER_CORE_SOURCES
  src/mail/header_block.cpp
  src/mail/content_digest.cpp
  src/mail/address.cpp
  src/mail/envelope.cpp
  src/mail/routing.cpp
  src/mail/folder_tag.cpp
)
