// mailporter-sim: the deterministic, seeded fault simulator.
//
//   mailporter-sim --seeds A-B [--time-budget SECONDS] [--verbose] [--transcript]
//   mailporter-sim --seed N [--verbose] [--transcript]
//   --list prints one line per seed (what ran: passes, crashes, faults,
//   deliveries, removals) to compare runs.
//
// Each seed builds a world (1-4 POP3/IMAP boxes, an office SMTP server), then
// runs 3-10 steps of world changes, clock moves, faults and engine crashes
// against the real PassRunner, checking the invariants (invariants.h) after
// every step; violations name the seed and step, and `--seed N --verbose`
// replays that seed step by step. Exit status: 0 all seeds clean, 1 some
// invariant was violated, 2 usage, 3 the simulator itself failed on a seed.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "sim/driver.h"

namespace {

using mailporter::sim::RunOptions;
using mailporter::sim::SeedOutcome;

int usage() {
    std::fprintf(stderr,
                 "usage: mailporter-sim --seeds A-B [--time-budget SECONDS] [--list] [--verbose] [--transcript]\n"
                 "       mailporter-sim --seed N [--verbose] [--transcript]\n");
    return 2;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    out = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

// "[I1] step 3: ..." -> "I1"
std::string invariant_of(const std::string& v) {
    const auto end = v.find(']');
    return v.size() > 1 && v[0] == '[' && end != std::string::npos ? v.substr(1, end - 1) : "?";
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t first = 0, last = 0;
    bool have_range = false;
    double budget = 0;
    RunOptions options;
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const auto value = [&]() -> std::string_view {
            return i + 1 < argc ? std::string_view(argv[++i]) : std::string_view();
        };
        if (a == "--seeds") {
            const std::string_view v = value();
            const auto dash = v.find('-');
            if (dash == std::string_view::npos || !parse_u64(v.substr(0, dash), first) ||
                !parse_u64(v.substr(dash + 1), last) || last < first)
                return usage();
            have_range = true;
        } else if (a == "--seed") {
            if (!parse_u64(value(), first)) return usage();
            last = first;
            have_range = true;
        } else if (a == "--time-budget") {
            const std::string b(value());
            char* end = nullptr;
            budget = std::strtod(b.c_str(), &end);
            if (b.empty() || *end != '\0' || budget <= 0) return usage();
        } else if (a == "--list") {
            list = true;
        } else if (a == "--verbose") {
            options.verbose = true;
        } else if (a == "--transcript") {
            options.verbose = true;
            options.transcript = true;
        } else {
            return usage();
        }
    }
    if (!have_range) return usage();

    const auto start = std::chrono::steady_clock::now();
    const auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::uint64_t ran = 0;
    int violations = 0, errors = 0, crashes = 0, faults = 0, passes = 0;
    std::map<std::string, std::set<std::uint64_t>> seeds_by_invariant;
    bool out_of_time = false;
    for (std::uint64_t seed = first;; ++seed) {
        if (budget > 0 && elapsed() > budget) {
            out_of_time = true;
            break;
        }
        const double seed_start = elapsed();
        const SeedOutcome o = mailporter::sim::run_seed(seed, options);
        ++ran;
        crashes += o.crashes;
        faults += o.faults;
        passes += o.passes;
        for (const auto& v : o.violations) {
            std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed), v.c_str());
            seeds_by_invariant[invariant_of(v)].insert(seed);
            ++violations;
        }
        if (list)
            std::printf(
                "seed %llu: %d steps, %d passes, %d crashes, %d faults, %d deliveries, %d removals, %zu violations%s "
                "(%.0f ms)\n",
                static_cast<unsigned long long>(seed), o.steps, o.passes, o.crashes, o.faults, o.deliveries, o.removals,
                o.violations.size(), o.slow ? ", slow" : "", 1000 * (elapsed() - seed_start));
        if (!o.error.empty()) {
            std::printf("seed %llu: SIMULATOR ERROR: %s\n", static_cast<unsigned long long>(seed), o.error.c_str());
            ++errors;
        }
        std::fflush(stdout);
        if (seed == last) break;
    }
    for (const auto& [inv, seeds] : seeds_by_invariant) {
        std::printf("%s violated in %zu seed(s):", inv.c_str(), seeds.size());
        int shown = 0;
        for (const auto s : seeds) {
            if (++shown > 40) {
                std::printf(" ...");
                break;
            }
            std::printf(" %llu", static_cast<unsigned long long>(s));
        }
        std::printf("\n");
    }
    std::printf(
        "mailporter-sim: ran %llu seed(s) from %llu%s in %.1f s (%.1f seeds/s): %d violation(s), %d simulator "
        "error(s); %d passes, %d crashes, %d faults fired\n",
        static_cast<unsigned long long>(ran), static_cast<unsigned long long>(first),
        out_of_time ? " (time budget reached before the last seed)" : "", elapsed(),
        static_cast<double>(ran) / std::max(elapsed(), 1e-9), violations, errors, passes, crashes, faults);
    if (errors) return 3;
    return violations ? 1 : 0;
}
