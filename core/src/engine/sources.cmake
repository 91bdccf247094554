list(APPEND MAILPORTER_CORE_SOURCES
  src/engine/relay.cpp
  src/engine/fetch_job.cpp
  src/engine/fetch_window.cpp
  src/engine/relay_step.cpp
  src/engine/ledger.cpp
  src/engine/office_lanes.cpp
  src/engine/secret_worker.cpp
  src/engine/token_keeper.cpp
  src/engine/pop3_job.cpp
  src/engine/imap_job.cpp
  src/engine/idle_watch.cpp
  src/engine/diagnosis.cpp
  src/engine/engine.cpp
  src/engine/alerts.cpp
  src/engine/alert_mail.cpp
  src/engine/alert_mailer.cpp
  src/engine/service.cpp)
