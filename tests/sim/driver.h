#pragma once
// Runs one seed: builds its world, then step after step changes the world,
// moves the clock, sets faults, runs one pass per account concurrently on
// the one io_context (PassRunner::run), maybe crashes the engine mid-way,
// and checks the invariants; at the end clean passes and liveness.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mailporter::sim {

struct RunOptions {
    bool verbose = false;                        // narrate world changes, faults, pass reports, engine log
    bool transcript = false;                     // also every protocol line the engine sends and reads
    std::filesystem::path scratch = "/dev/shm";  // databases live here (fsync is cheap)
};

struct SeedOutcome {
    std::uint64_t seed = 0;
    std::vector<std::string> violations;  // "[I1] step 3: ..."
    std::string error;                    // the simulator itself failed (not a verdict on the engine)
    int steps = 0;
    int passes = 0;
    int crashes = 0;
    int faults = 0;      // faults that fired
    int deliveries = 0;  // transactions the office accepted
    int removals = 0;    // messages that left a box (anyone)
    bool slow = false;   // a seed with stalls and drips (timeout_seconds = 1)
};

SeedOutcome run_seed(std::uint64_t seed, const RunOptions& options);

}  // namespace mailporter::sim
