# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
mailporter_add_test(test_engine_units unit unit/engine/scheduler_test.cpp unit/engine/status_test.cpp
  unit/engine/fetch_window_test.cpp
  unit/engine/event_queue_test.cpp
  unit/engine/alerts_test.cpp
  unit/engine/alert_mail_test.cpp)
