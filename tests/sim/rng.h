#pragma once
// The simulator's only source of randomness: splitmix64, with helpers whose
// results do not depend on the standard library's distributions (those differ
// between implementations), so a seed means the same run everywhere.

#include <cstdint>
#include <vector>

namespace mailporter::sim {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed ^ 0x6a09e667f3bcc909ULL) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // 0 .. n-1 (0 when n is 0).
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
    // lo .. hi, both included.
    int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo + 1))); }
    bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(below(v.size()))];
    }
    // An independent stream derived from this one (for one step, one server).
    Rng fork(std::uint64_t salt) { return Rng(next() ^ (salt * 0xd1342543de82ef95ULL)); }

private:
    std::uint64_t state_;
};

}  // namespace mailporter::sim
