#pragma once
// Layout checks for the GUI self-tests: what a user would see as a defect
// in a dialog, found by walking its windows.
//   - a visible control outside the top-level window's client area (under
//     the fold at the default size, or past the right edge);
//   - a label narrower or lower than its own text in its own font (a cut
//     heading: "Summa...");
//   - the same sentence in two labels of one window;
//   - a command-line flag ("--trust-fingerprint") in any text a window shows:
//     the GUI has buttons for what the CLI has flags.
// Main thread only.

#include <string>
#include <vector>

class wxWindow;

namespace mailporter::app {

// One line per problem, naming the control by its label; empty when none.
std::vector<std::string> layout_problems(wxWindow* top);

}  // namespace mailporter::app
