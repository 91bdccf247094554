#include "app_options.h"

#include <cstdlib>

namespace mailporter::app {

const char* const Usage = R"(usage: mailporter [--data-dir DIR] [--secret-store auto|keyring|file] [--hidden] [--viewer]
       mailporter [--data-dir DIR] --quit

  --data-dir DIR        the data directory (default $XDG_DATA_HOME/mailporter;
                        MAILPORTER_DATA_DIR overrides), as for mailporter-cli
  --secret-store KIND   auto (default: the desktop keyring when one answers, else a
                        private file; kept once chosen), keyring or file;
                        MAILPORTER_SECRET_STORE sets it too
  --hidden              start with only the tray icon (when there is a tray)
  --viewer              when another engine (mailporter-cli run) works on the data
                        directory, watch and control it without asking
  --quit                ask the app running on the data directory to quit (the
                        pass in progress finishes first) and wait for it, up to
                        60 s; exit 0 when none runs there any more (installers
                        use it before they replace the program)

test hooks:
  --screenshot-after SECONDS PATH   save a PNG of the status window, then quit
  --self-test SCENARIO [--artifacts DIR]
                        the test build only (mailporter-selftest): drive the
                        windows by code, save screenshots to DIR, exit 0 when
                        every check passed
)";

std::string parse_options(int argc, const wxCmdLineArgsArray& argv, Options& out) {
    std::optional<std::string> store;
    for (int i = 1; i < argc; ++i) {
        const std::string w = argv[i].utf8_string();
        auto value = [&](const std::string& name) -> std::optional<std::string> {
            if (w == name) {
                if (i + 1 >= argc) return std::nullopt;
                return argv[++i].utf8_string();
            }
            return w.substr(name.size() + 1);  // --name=value
        };
        auto is = [&](const std::string& name) { return w == name || w.rfind(name + "=", 0) == 0; };
        if (w == "-h" || w == "--help") return "help";
        if (w == "--version") return "version";
        if (w == "--hidden" || w == "--minimized" || w == "--minimised") {
            out.hidden = true;
        } else if (w == "--viewer") {
            out.viewer = true;
        } else if (w == "--quit") {
            out.quit_other = true;
        } else if (is("--data-dir")) {
            auto v = value("--data-dir");
            if (!v || v->empty()) return "--data-dir needs a value";
            out.data_dir = std::filesystem::u8path(*v);
        } else if (is("--secret-store")) {
            store = value("--secret-store");
            if (!store) return "--secret-store needs a value";
        } else if (is("--self-test")) {
            auto v = value("--self-test");
            if (!v || v->empty()) return "--self-test needs a scenario";
            out.self_test = *v;
        } else if (is("--artifacts")) {
            auto v = value("--artifacts");
            if (!v || v->empty()) return "--artifacts needs a directory";
            out.artifacts = std::filesystem::u8path(*v);
        } else if (w == "--screenshot-after") {
            if (i + 2 >= argc) return "--screenshot-after needs SECONDS and PATH";
            long seconds = 0;
            if (!argv[i + 1].ToLong(&seconds) || seconds < 0 || seconds > 3600)
                return "--screenshot-after: SECONDS must be a number from 0 to 3600";
            out.screenshot_after = static_cast<int>(seconds);
            out.screenshot_path = argv[i + 2];
            i += 2;
        } else {
            return "unknown option " + w;
        }
    }
    if (!store) {
        if (const char* e = std::getenv("MAILPORTER_SECRET_STORE"); e && *e) store = e;
    }
    out.secret_store_kind = store.value_or("auto");
    if (out.secret_store_kind != "auto" && out.secret_store_kind != "keyring" && out.secret_store_kind != "file")
        return "--secret-store must be auto, keyring or file, not '" + out.secret_store_kind + "'";
    return {};
}

}  // namespace mailporter::app
