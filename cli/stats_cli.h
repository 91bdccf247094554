#pragma once
// `mailporter-cli stats [--account NAME] [--days N] [--json]` (issue 17):
// messages and bytes delivered per hour over the last days, per account and
// in total, the busiest hour and the oldest message waiting. The numbers are
// the core's (mailporter/traffic.h); this unit only prints them.

#include <cstdint>
#include <iosfwd>

#include "cli_common.h"
#include "mailporter/traffic.h"

namespace mailporter::cli {

int cmd_stats(Context& ctx, const Args& a);

// The printers, apart for tests: JSON (the shape is in the help text and
// mailporter-cli(1)) and the human table.
void print_traffic_json(const Traffic& t, int days, std::ostream& out);
void print_traffic_table(const Traffic& t, int days, std::ostream& out);

}  // namespace mailporter::cli
