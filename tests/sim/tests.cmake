# The deterministic fault simulator (see sim/sim_main.cpp): the real PassRunner
# against in-process scripted POP3/IMAP/SMTP servers on one io_context, with
# seeded faults and engine crashes, invariants checked after every step.
# A standalone executable (no Catch2); script/soak runs it at length.
add_executable(mailporter-sim
  sim/sim_main.cpp
  sim/driver.cpp
  sim/faults.cpp
  sim/generator.cpp
  sim/imap_server.cpp
  sim/invariants.cpp
  sim/messages.cpp
  sim/model.cpp
  sim/pop3_server.cpp
  sim/server.cpp
  sim/smtp_server.cpp
  sim/world.cpp
)
target_link_libraries(mailporter-sim PRIVATE mailporter::core mailporter_warnings
  OpenSSL::SSL OpenSSL::Crypto Boost::headers SQLiteCpp)
target_include_directories(mailporter-sim PRIVATE ${PROJECT_SOURCE_DIR}/core/src ${PROJECT_SOURCE_DIR}/tests)

# 2500 seeds take about 75 s on the 2-core test machine (~33 seeds/s, one
# core); the budget ends the run early on a loaded machine and says how many
# seeds ran. Exit status 1 (a violated invariant) fails the test.
add_test(NAME test_sim COMMAND mailporter-sim --seeds 1-2500 --time-budget 120)
set_tests_properties(test_sim PROPERTIES LABELS sim TIMEOUT 180)
