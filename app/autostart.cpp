#include "autostart.h"

#include <cstdlib>
#include <fstream>
#include <system_error>

#if defined(_WIN32)
#include <wx/string.h>
#include <wx/msw/registry.h>
#endif

namespace mailporter::app::autostart {

namespace {

namespace fs = std::filesystem;

[[maybe_unused]] std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

[[maybe_unused]] Error io_error(const std::string& what, const fs::path& p) {
    return make_error(Errc::IoError, what + " " + p.string(), ErrorScope::Local, Retry::Never);
}

// Desktop Entry spec: arguments with spaces or reserved characters are
// double-quoted, with ", `, $ and \ escaped by a backslash.
[[maybe_unused]] std::string exec_quote(const std::string& arg) {
    if (!arg.empty() && arg.find_first_of(" \t\n\"'\\><~|&;$*?#()`") == std::string::npos) return arg;
    std::string out = "\"";
    for (char c : arg) {
        if (c == '"' || c == '`' || c == '$' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

[[maybe_unused]] std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

[[maybe_unused]] Result<void> write_file(const fs::path& p, const std::string& text) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) return io_error("cannot create the folder of", p);
    const fs::path tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!(out << text) || !out.flush()) return io_error("cannot write", tmp);
    }
    fs::rename(tmp, p, ec);
    if (ec) return io_error("cannot rename to", p);
    return {};
}

}  // namespace

std::string desktop_entry(const std::vector<std::string>& command) {
    std::string exec;
    for (const auto& a : command) {
        if (!exec.empty()) exec += ' ';
        exec += exec_quote(a);
    }
    return "[Desktop Entry]\n"
           "Type=Application\n"
           "Name=MailPorter\n"
           "Comment=Moves mail from provider mailboxes to the office mail server\n"
           "Exec=" +
           exec +
           "\n"
           "Icon=mailporter\n"
           "Terminal=false\n"
           "X-GNOME-Autostart-enabled=true\n";
}

#if defined(_WIN32)

namespace {
const wxString RunKey = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
const wxString ValueName = "MailPorter";
}  // namespace

fs::path entry_path() { return {}; }

bool enabled() {
    wxRegKey key(RunKey);
    return key.Exists() && key.HasValue(ValueName);
}

Result<void> enable(const std::vector<std::string>& command) {
    wxString line;
    for (const auto& a : command) {
        const wxString w = wxString::FromUTF8(a);
        line += (line.empty() ? "" : " ") + (w.Contains(" ") ? "\"" + w + "\"" : w);
    }
    wxRegKey key(RunKey);
    if (!key.Create(false) || !key.SetValue(ValueName, line))
        return make_error(Errc::IoError, "cannot write the Run key", ErrorScope::Local, Retry::Never);
    return {};
}

Result<void> disable() {
    wxRegKey key(RunKey);
    if (key.Exists() && key.HasValue(ValueName) && !key.DeleteValue(ValueName))
        return make_error(Errc::IoError, "cannot remove the Run key value", ErrorScope::Local, Retry::Never);
    return {};
}

#elif defined(__APPLE__)

fs::path entry_path() { return fs::path(env("HOME")) / "Library" / "LaunchAgents" / "org.mailporter.MailPorter.plist"; }

bool enabled() { return fs::exists(entry_path()); }

Result<void> enable(const std::vector<std::string>& command) {
    std::string args;
    for (const auto& a : command) args += "    <string>" + xml_escape(a) + "</string>\n";
    const std::string plist =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<plist version=\"1.0\">\n<dict>\n"
        "  <key>Label</key>\n  <string>org.mailporter.MailPorter</string>\n"
        "  <key>ProgramArguments</key>\n  <array>\n" +
        args +
        "  </array>\n"
        "  <key>RunAtLoad</key>\n  <true/>\n"
        "  <key>ProcessType</key>\n  <string>Interactive</string>\n"
        "</dict>\n</plist>\n";
    return write_file(entry_path(), plist);
}

Result<void> disable() {
    std::error_code ec;
    fs::remove(entry_path(), ec);
    if (ec) return io_error("cannot remove", entry_path());
    return {};
}

#else

fs::path entry_path() {
    // XDG Base Directory spec: a relative $XDG_CONFIG_HOME is invalid and ignored.
    fs::path base;
    if (std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty() && fs::path(xdg).is_absolute())
        base = xdg;
    else
        base = fs::path(env("HOME")) / ".config";
    return base / "autostart" / "mailporter.desktop";
}

bool enabled() { return fs::exists(entry_path()); }

Result<void> enable(const std::vector<std::string>& command) {
    return write_file(entry_path(), desktop_entry(command));
}

Result<void> disable() {
    std::error_code ec;
    fs::remove(entry_path(), ec);
    if (ec) return io_error("cannot remove", entry_path());
    return {};
}

#endif

}  // namespace mailporter::app::autostart
