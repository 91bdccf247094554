#pragma once
// Runs the real mailporter-cli as a child process (integration and crash
// tests): arguments, standard input, captured output, exit status; or starts
// it in the background so a test can SIGKILL it.

#include <filesystem>
#include <string>
#include <vector>

namespace mailporter::test {

struct CliResult {
    int exit_code = -1;  // -signal when killed by a signal
    std::string out;
    std::string err;
};

std::filesystem::path cli_path();  // $MAILPORTER_BINARY_DIR/cli/mailporter-cli

// Runs to completion. env entries are "NAME=value" added to this process's
// environment ("NAME=" removes NAME).
CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text = {},
                  const std::vector<std::string>& env = {});

// Starts in the background (output discarded, or written to `output`); returns the pid.
int start_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
              const std::filesystem::path& output = {});
// Waits for a started child; returns its exit code (or -signal).
int wait_cli(int pid);

}  // namespace mailporter::test
