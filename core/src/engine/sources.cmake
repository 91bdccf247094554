list(APPEND MAILPORTER_CORE_SOURCES
  src/engine/relay.cpp
  src/engine/pop3_job.cpp
  src/engine/imap_job.cpp
  src/engine/idle_watch.cpp
  src/engine/diagnosis.cpp
  src/engine/engine.cpp
  src/engine/service.cpp)
