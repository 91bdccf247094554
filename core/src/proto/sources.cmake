# Sources of core/src/proto (explicit list).
list(APPEND MAILPORTER_CORE_SOURCES
  src/proto/dot_codec.cpp
  src/proto/imap_folders.cpp
  src/proto/imap_parser.cpp
  src/proto/imap_parser_data.cpp
  src/proto/imap_parser_text.cpp
  src/proto/imap_login.cpp
  src/proto/imap_mailboxes.cpp
  src/proto/imap_session.cpp
  src/proto/imap_session_fetch.cpp
  src/proto/imap_session_idle.cpp
  src/proto/pop3_parser.cpp
  src/proto/sanitize.cpp
  src/proto/bearer.cpp
  src/proto/sasl.cpp
  src/proto/smtp_parser.cpp
)
