#pragma once
// Probing candidates with the Test-login code (engine/diagnosis.cpp): connect,
// TLS or STARTTLS (required, never a fallback), greeting; with a password the
// login, with each likely user name in turn.

#include <functional>
#include <string>
#include <vector>

#include "mailporter/detect.h"

namespace mailporter::detect {

// Probes every candidate not yet probed and not already marked as not
// probeable (probed == false, detail empty), up to MaxParallelProbes
// at once, in their order; with a password, candidates not started yet are
// left unprobed once one logged in. report() is called once per candidate
// probed, from a worker thread, one call at a time.
inline constexpr std::size_t MaxParallelProbes = 4;
void probe_all(std::vector<DetectCandidate>& candidates, const std::string& password, const DetectOptions& options,
               const std::function<void(const DetectCandidate&)>& report);

// One candidate (exposed for tests).
void probe_one(DetectCandidate& c, const std::string& password, const DetectOptions& options);

}  // namespace mailporter::detect
