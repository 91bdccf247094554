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
