#pragma once
// A seed's scenario (the boxes, the accounts, the office policy, the first
// mail) and what changes between passes: new mail, and another client that
// deletes, flags \Deleted, expunges or renumbers a folder (UIDVALIDITY).

#include <cstdint>
#include <vector>

#include "mailporter/config.h"
#include "sim/rng.h"
#include "sim/world.h"

namespace mailporter::sim {

inline constexpr std::int64_t T0 = 1'700'000'000;  // 2023-11-14

struct SeedPlan {
    std::vector<Account> accounts;  // accounts[i] reads box i (ids and ports set by the driver)
    int steps = 3;
    bool slow = false;  // stalls and drips allowed; timeout_seconds = 1
    int office_lanes = 4;
    int commit_every = 64;
};

// Builds the world of a seed (boxes, office policy, first mail) and its plan.
SeedPlan make_scenario(Rng& rng, World& world);

// Another client and the senders between two passes; each change narrated.
void change_world(Rng& rng, World& world);

// Moves the sim clock: minutes mostly, days sometimes.
void advance_clock(Rng& rng, World& world);

}  // namespace mailporter::sim
