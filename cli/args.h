#pragma once
// The CLI's argument layer: errors that end a command, the option parser,
// whole numbers within bounds, a password from standard input.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::cli {

// Wrong use of the command line: exit 2 with a hint at --help.
struct UsageError {
    std::string text;
};
// The command could not do what it was asked: exit 1.
struct Failure {
    std::string text;
};

// Options after the command words: --name value, --name=value, or --flag
// (a name in `flags_without_value`); the rest are positional.
class Args {
public:
    Args(std::vector<std::string> words, std::vector<std::string> flags_without_value);
    bool has(const std::string& n) const { return values_.count(n) != 0; }
    std::optional<std::string> get(const std::string& n) const;
    std::vector<std::string> get_all(const std::string& n) const;
    bool flag(const std::string& n) const;
    const std::vector<std::string>& positional() const { return positional_; }
    // UsageError for an option no get/get_all/flag asked about.
    void reject_unknown() const;

private:
    bool is_flag(const std::string& n) const;
    std::vector<std::string> flags_;
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
    mutable std::map<std::string, bool> used_;
};

// The value, or Failure with the error's detail.
template <class T>
inline T need(Result<T> r) {
    if (!r) throw Failure{r.error().detail};
    return std::move(r).value();
}
inline void need(Result<void> r) {
    if (!r) throw Failure{r.error().detail};
}

// `s` as a whole number in [lo, hi]; else UsageError naming `what`.
int parse_int(const std::string& what, const std::string& s, int lo, int hi);

// All of standard input, less one trailing line end; UsageError when empty.
std::string read_password_stdin();

// The words joined by single spaces.
std::string join(const std::vector<std::string>& v);

}  // namespace mailporter::cli
