list(APPEND MAILPORTER_CORE_SOURCES src/engine/relay.cpp src/engine/diagnosis.cpp src/engine/service.cpp)
