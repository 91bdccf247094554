list(APPEND MAILPORTER_CORE_SOURCES src/net/stream.cpp src/net/certificate.cpp src/net/system_trust.cpp)
