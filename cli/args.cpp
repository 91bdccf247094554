// The CLI's argument layer; see args.h.

#include "args.h"

#include <cstddef>
#include <exception>
#include <iostream>
#include <stdexcept>

namespace mailporter::cli {

Args::Args(std::vector<std::string> words, std::vector<std::string> flags_without_value)
    : flags_(std::move(flags_without_value)) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto& w = words[i];
        if (w.rfind("--", 0) != 0) {
            positional_.push_back(w);
            continue;
        }
        const auto eq = w.find('=');
        std::string name = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        if (eq != std::string::npos) {
            values_[name].push_back(w.substr(eq + 1));
        } else if (is_flag(name)) {
            values_[name].push_back("");
        } else {
            if (i + 1 >= words.size()) throw UsageError{"--" + name + " needs a value"};
            values_[name].push_back(words[++i]);
        }
    }
}

std::optional<std::string> Args::get(const std::string& n) const {
    auto it = values_.find(n);
    if (it == values_.end()) return std::nullopt;
    used_.insert({n, true});
    return it->second.back();
}

std::vector<std::string> Args::get_all(const std::string& n) const {
    auto it = values_.find(n);
    if (it == values_.end()) return {};
    used_.insert({n, true});
    return it->second;
}

bool Args::flag(const std::string& n) const {
    used_.insert({n, true});
    return has(n);
}

void Args::reject_unknown() const {
    for (const auto& [n, v] : values_)
        if (!used_.count(n)) throw UsageError{"unknown option --" + n};
}

bool Args::is_flag(const std::string& n) const {
    for (const auto& f : flags_)
        if (f == n) return true;
    return false;
}

int parse_int(const std::string& what, const std::string& s, int lo, int hi) {
    try {
        std::size_t used = 0;
        long v = std::stol(s, &used);
        if (used != s.size() || v < lo || v > hi) throw std::out_of_range("range");
        return static_cast<int>(v);
    } catch (const std::exception&) {
        throw UsageError{what + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                         ", not '" + s + "'"};
    }
}

std::string read_password_stdin() {
    std::string pw;
    std::getline(std::cin, pw, '\0');
    // One trailing line end is the terminal's, not the password's.
    if (!pw.empty() && pw.back() == '\n') pw.pop_back();
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    if (pw.empty()) throw UsageError{"--password-stdin: no password on standard input"};
    return pw;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
}

}  // namespace mailporter::cli
