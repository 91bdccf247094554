# Sources of core/src/store (explicit list).
list(APPEND MAILPORTER_CORE_SOURCES
  src/store/schema.cpp
  src/store/database.cpp
  src/store/database_history.cpp
  src/store/private_file.cpp
  src/store/column_text.cpp
  src/store/message_store.cpp
  src/store/file_secret_store.cpp
  src/store/keyring_secret_store.cpp
  src/store/wincred_secret_store.cpp
  src/store/secret_choice.cpp
  src/store/data_dir.cpp
  src/store/history_hourly.cpp
  src/store/traffic.cpp
  src/store/workspace.cpp
)
