# Reading other tools' configuration and MailPorter's own (mailporter/import.h,
# mailporter/config_file.h): pure parsers, and apply_config that writes.
list(APPEND MAILPORTER_CORE_SOURCES
  src/import/rc_lexer.cpp
  src/import/fetchmailrc.cpp
  src/import/config_json.cpp
  src/import/config_apply.cpp
  src/import/same_box.cpp)
