list(APPEND MAILPORTER_CORE_SOURCES src/engine/status_model.cpp src/engine/scheduler.cpp)
