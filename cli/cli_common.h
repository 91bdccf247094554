#pragma once
// What the CLI's commands share: the argument layer (args.h), the data
// directory's Workspace (opened when first needed), printing.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "args.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/workspace.h"

namespace mailporter::cli {

namespace mp = mailporter;

constexpr int ExitOk = 0;
constexpr int ExitFailed = 1;
constexpr int ExitUsage = 2;

struct Context {
    std::filesystem::path data_dir;
    std::string secret_store_kind = "auto";  // as asked: "auto", "keyring" or "file"
    bool verbose = false;
    std::unique_ptr<mp::Workspace> ws;

    // The data directory (created 0700 when missing), opened once.
    mp::Workspace& workspace();
    // The store this data directory uses (the Workspace chooses it once,
    // then it is recorded: see mailporter/secret_store.h).
    mp::SecretStore& secret_store();
    // What status shows without opening (or choosing) anything.
    std::string shown_secret_store();
    // Log lines go to the database (and, verbose or a warning, to stderr).
    mp::RelayOptions relay_options();
};

// `edit` is the command that pins a certificate ("account edit NAME"), for
// the hint after an untrusted one.
void print_diagnosis(const mp::Diagnosis& d, const std::string& edit);

// "YYYY-MM-DD HH:MM:SS", local time.
std::string local_time(std::int64_t t);

}  // namespace mailporter::cli
