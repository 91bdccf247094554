# OAuth2 client (mailporter/oauth.h): endpoints, tokens, browser and device sign-in.
list(APPEND MAILPORTER_CORE_SOURCES
  src/oauth/form.cpp
  src/oauth/token_endpoint.cpp
  src/oauth/provider.cpp
  src/oauth/tokens.cpp
  src/oauth/client_assertion.cpp
  src/oauth/device.cpp
  src/oauth/browser_signin.cpp)
