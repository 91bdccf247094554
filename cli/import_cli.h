#pragma once
// mailporter-cli import fetchmailrc|json FILE and export: configuration in
// and out (mailporter/import.h, mailporter/config_file.h).

#include <string>
#include <vector>

#include "cli_common.h"

namespace mailporter::cli {

// words: what follows "import" (the kind, FILE and options).
int cmd_import(Context& ctx, const std::vector<std::string>& words);
int cmd_export(Context& ctx, const Args& a);

}  // namespace mailporter::cli
