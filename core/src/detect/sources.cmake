# Autodetect: from an e-mail address to server settings (mailporter/detect.h).
list(APPEND MAILPORTER_CORE_SOURCES
  src/detect/dns_message.cpp
  src/detect/dns_client.cpp
  src/detect/autoconfig_xml.cpp
  src/detect/http_parse.cpp
  src/detect/http_get.cpp
  src/detect/providers.cpp
  src/detect/candidates.cpp
  src/detect/probe.cpp
  src/detect/detect.cpp)
