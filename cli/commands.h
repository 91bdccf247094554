#pragma once
// The CLI's commands, one file per group; main.cpp dispatches to them.
// Each returns the exit code, or throws UsageError / Failure (args.h).

#include <atomic>
#include <string>
#include <vector>

#include "cli_common.h"
#include "mailporter/config.h"

namespace mailporter::cli {

// server_cli.cpp: server set|show|test|verify|signin.
int cmd_server(Context& ctx, const std::string& sub, const Args& a);
// --tls, --trust-fingerprint, --trust-key, --trust-issuer, --allow-legacy-tls.
void apply_tls_options(const Args& a, mp::TlsSettings& tls);

// account_cli.cpp: account add|edit|list|remove|test|signin|detect.
int cmd_account(Context& ctx, const std::string& sub, const Args& a);
int cmd_account_detect(Context& ctx, const Args& a);

// status_cli.cpp.
int cmd_status(Context& ctx, const Args& a);

// run_cli.cpp: run, poll, pause|resume, retry.
int cmd_run(Context& ctx, const Args& a);
int cmd_poll(Context& ctx, const Args& a);
int cmd_pause_resume(Context& ctx, bool pause, const Args& a);
int cmd_retry(Context& ctx, const std::vector<std::string>& words);
// Set by SIGINT/SIGTERM (after install_stop_signals) or the Windows service.
extern std::atomic<bool> stop_requested;
void install_stop_signals();

// history_cli.cpp: history, log.
int cmd_history(Context& ctx, const Args& a);
int cmd_log(Context& ctx, const Args& a);

// settings_cli.cpp.
int cmd_settings(Context& ctx, const std::vector<std::string>& words);

}  // namespace mailporter::cli
