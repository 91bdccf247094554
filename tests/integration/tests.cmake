# Tests of this area (see tests/CMakeLists.txt for mailporter_add_test).
# Integration tests run against the real-server test bed (tests/bed/testbed.sh:
# Dovecot + a private Postfix on 127.0.0.1, started by the test itself; needs
# root). Every integration test lists integration/testbed.cpp in its sources.
mailporter_add_test(test_bed integration integration/bed_test.cpp integration/testbed.cpp)
set_tests_properties(test_bed PROPERTIES TIMEOUT 300)
mailporter_add_test(test_relay integration integration/relay_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_relay PROPERTIES TIMEOUT 600)
mailporter_add_test(test_catchall integration integration/catchall_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_catchall PROPERTIES TIMEOUT 300)
mailporter_add_test(test_imap integration integration/imap_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_imap PROPERTIES TIMEOUT 600)
# `mailporter-cli run` (the Engine) with 200 remote boxes; SIGTERM mid-pass.
mailporter_add_test(test_service_scale integration integration/service_scale_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_service_scale PROPERTIES TIMEOUT 900)
# Autodetect: a dnsmasq on loopback (dnsmasq-base) and an in-process HTTP server for autoconfig.
mailporter_add_test(test_detect_bed integration integration/detect_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_detect_bed PROPERTIES TIMEOUT 300)
# The OAuth2 part of the bed: the stand-in authorization server (tests/bed/oauth_server.py)
# and Dovecot's XOAUTH2/OAUTHBEARER via introspection, proved with raw sockets.
mailporter_add_test(test_oauth_bed integration integration/oauth_bed_test.cpp integration/testbed.cpp)
set_tests_properties(test_oauth_bed PROPERTIES TIMEOUT 300)
# OAuth2 end to end: the CLI's sign-in (browser stand-in, device code) and
# passes over POP3 and IMAP against Dovecot checking tokens with the stand-in.
mailporter_add_test(test_oauth_relay integration integration/oauth_test.cpp integration/cli_runner.cpp integration/testbed.cpp)
set_tests_properties(test_oauth_relay PROPERTIES TIMEOUT 300)
# IMAP folders (issue 18): a prefixed namespace, push for every watched
# folder (NOTIFY; IDLE per folder; polling the rest), folder delivery modes.
mailporter_add_test(test_folders integration integration/folders_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_folders PROPERTIES TIMEOUT 300)
# Import and export (issue 17): a real .fetchmailrc imported and polled; export/import json.
mailporter_add_test(test_import_bed integration integration/import_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_import_bed PROPERTIES TIMEOUT 300)
# Admin alerts by mail (issue 17): alert and digest into postmaster@office.test,
# once per interval, the second route when the office server is unreachable.
mailporter_add_test(test_alerts integration integration/alerts_test.cpp integration/testbed.cpp integration/cli_runner.cpp)
set_tests_properties(test_alerts PROPERTIES TIMEOUT 300)
