# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
# The in-process fake servers (POP3, SMTP, IMAP, ...), compiled once and linked
# by every suite that scripts one (tests/windows/tests.cmake too).
add_library(mailporter_fakes STATIC scripted/fake_server.cpp scripted/fake_imap.cpp)
target_link_libraries(mailporter_fakes PUBLIC mailporter::core OpenSSL::SSL OpenSSL::Crypto
  PRIVATE mailporter_warnings Boost::headers)
target_include_directories(mailporter_fakes PUBLIC ${PROJECT_SOURCE_DIR}/core/src ${PROJECT_SOURCE_DIR}/tests)
# poll() against in-process fake POP3/SMTP servers that misbehave on cue.
mailporter_add_test(test_scripted scripted
  scripted/relay_faults_test.cpp
  scripted/relay_matrix_test.cpp
  scripted/pipelining_test.cpp
  scripted/relay_security_test.cpp
  scripted/starttls_attack_test.cpp
  scripted/verify_test.cpp
  scripted/wire_guard_test.cpp
)
target_link_libraries(test_scripted PRIVATE mailporter_fakes)
# The IMAP session against scripted fake servers (no relay, no database).
mailporter_add_test(test_imap_session scripted
  scripted/imap_session_test.cpp
)
target_link_libraries(test_imap_session PRIVATE mailporter_fakes)
# The Engine facade (commands, events, wake-up, pause, hung accounts, status colours).
mailporter_add_test(test_engine_scripted scripted scripted/engine_test.cpp)
target_link_libraries(test_engine_scripted PRIVATE mailporter_fakes)
set_tests_properties(test_engine_scripted PROPERTIES TIMEOUT 300)
# The relay with an IMAP account against a scripted IMAP server (the rule under faults).
mailporter_add_test(test_imap_relay scripted
  scripted/imap_relay_test.cpp
)
target_link_libraries(test_imap_relay PRIVATE mailporter_fakes)
# "Nothing lost, proven": the delivery ledger's classes of loss, and bounded
# passes (slow servers, lying sizes, endless listings, a locked keyring).
mailporter_add_test(test_ledger scripted
  scripted/ledger_test.cpp
  scripted/bounded_test.cpp
  scripted/hostile_test.cpp
)
target_link_libraries(test_ledger PRIVATE mailporter_fakes)
set_tests_properties(test_ledger PROPERTIES TIMEOUT 300)
# Autodetect's DNS client against a scripted DNS server (UDP and TCP).
mailporter_add_test(test_dns_client scripted scripted/dns_client_test.cpp)
# OAuth2 bearer logins (XOAUTH2, OAUTHBEARER) over POP3, IMAP and SMTP.
mailporter_add_test(test_bearer scripted scripted/bearer_test.cpp)
target_link_libraries(test_bearer PRIVATE mailporter_fakes)
# OAuth2 flows (discovery, refresh, browser and device sign-in) against a
# scripted HTTP server on loopback.
mailporter_add_test(test_oauth_flows scripted
  scripted/oauth_flows_test.cpp
  scripted/client_assertion_test.cpp
  scripted/oauth_signin_test.cpp
)
target_link_libraries(test_oauth_flows PRIVATE mailporter_fakes)
# `mailporter-cli stats` (issue 17) on a data directory with known history (no bed).
mailporter_add_test(test_stats_cli scripted scripted/stats_cli_test.cpp integration/cli_runner.cpp)
target_link_libraries(test_stats_cli PRIVATE nlohmann_json::nlohmann_json)
add_dependencies(test_stats_cli mailporter-cli)
