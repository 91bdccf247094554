#include "windows_service.h"

#ifdef _WIN32

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <chrono>
#include <iostream>
#include <thread>

namespace mailporter::cli {
namespace {

constexpr const wchar_t* ServiceName = L"MailPorter";
constexpr const wchar_t* DisplayName = L"MailPorter mail relay";
constexpr const wchar_t* Description =
    L"Fetches the office's mail from the provider's POP3 and IMAP boxes and hands it to the office mail server.";

[[noreturn]] void fail(const std::string& what, DWORD err = ::GetLastError()) {
    std::string text = what + " (Windows error " + std::to_string(err) + ")";
    if (err == ERROR_ACCESS_DENIED) text += "; run it from an administrator's command prompt";
    throw Failure{text};
}

struct ScHandle {
    SC_HANDLE h = nullptr;
    explicit ScHandle(SC_HANDLE handle) : h(handle) {}
    ScHandle(const ScHandle&) = delete;
    ScHandle& operator=(const ScHandle&) = delete;
    ~ScHandle() {
        if (h) ::CloseServiceHandle(h);
    }
};

SC_HANDLE open_manager(DWORD access) {
    SC_HANDLE m = ::OpenSCManagerW(nullptr, nullptr, access);
    if (!m) fail("cannot open the Service Control Manager");
    return m;
}

// nullptr when the service is not installed.
SC_HANDLE open_service(SC_HANDLE manager, DWORD access) {
    SC_HANDLE s = ::OpenServiceW(manager, ServiceName, access);
    if (!s && ::GetLastError() != ERROR_SERVICE_DOES_NOT_EXIST) fail("cannot open the MailPorter service");
    return s;
}

const char* state_name(DWORD state) {
    switch (state) {
        case SERVICE_STOPPED:
            return "stopped";
        case SERVICE_START_PENDING:
            return "starting";
        case SERVICE_STOP_PENDING:
            return "stopping";
        case SERVICE_RUNNING:
            return "running";
        case SERVICE_CONTINUE_PENDING:
            return "resuming";
        case SERVICE_PAUSE_PENDING:
            return "pausing";
        case SERVICE_PAUSED:
            return "paused";
        default:
            return "unknown";
    }
}

DWORD current_state(SC_HANDLE service) {
    SERVICE_STATUS st{};
    if (!::QueryServiceStatus(service, &st)) fail("cannot ask the service's state");
    return st.dwCurrentState;
}

bool wait_for(SC_HANDLE service, DWORD want, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (current_state(service) == want) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return current_state(service) == want;
}

// The service's data directory holds the file store: only SYSTEM and the
// Administrators may open it (protected DACL: nothing inherited from
// %ProgramData%, which every user may read).
void restrict_to_admins(const std::filesystem::path& dir) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", SDDL_REVISION_1,
                                                                &sd, nullptr))
        fail("cannot build the data directory's access list");
    PACL dacl = nullptr;
    BOOL present = FALSE, defaulted = FALSE;
    ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    std::wstring path = dir.wstring();
    const DWORD rc = ::SetNamedSecurityInfoW(path.data(), SE_FILE_OBJECT,
                                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                                             nullptr, dacl, nullptr);
    ::LocalFree(sd);
    if (rc != ERROR_SUCCESS) fail("cannot restrict " + dir.string() + " to SYSTEM and the Administrators", rc);
}

std::filesystem::path service_data_dir(const Context& ctx, bool given) {
    if (given) return ctx.data_dir;
    const char* pd = std::getenv("ProgramData");
    return std::filesystem::path(pd && *pd ? pd : "C:\\ProgramData") / "MailPorter";
}

// What runs under the Service Control Manager (one service per process).
std::function<int()> g_run;
std::function<void()> g_stop;
SERVICE_STATUS_HANDLE g_status = nullptr;
SERVICE_STATUS g_state{};

void report(DWORD state, DWORD exit_code = NO_ERROR, DWORD wait_hint = 0) {
    g_state.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_state.dwCurrentState = state;
    g_state.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN : 0;
    g_state.dwWin32ExitCode = exit_code == NO_ERROR ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
    g_state.dwServiceSpecificExitCode = exit_code;
    g_state.dwWaitHint = wait_hint;
    if (state == SERVICE_RUNNING || state == SERVICE_STOPPED)
        g_state.dwCheckPoint = 0;
    else
        ++g_state.dwCheckPoint;
    ::SetServiceStatus(g_status, &g_state);
}

DWORD WINAPI control(DWORD code, DWORD, LPVOID, LPVOID) {
    switch (code) {
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN:
        case SERVICE_CONTROL_PRESHUTDOWN:
            // The engine finishes the message in hand (a delivery is never
            // cut between the office server's acceptance and the commit).
            report(SERVICE_STOP_PENDING, NO_ERROR, 30000);
            if (g_stop) g_stop();
            return NO_ERROR;
        case SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR;
        default:
            return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI service_main(DWORD, LPWSTR*) {
    g_status = ::RegisterServiceCtrlHandlerExW(ServiceName, control, nullptr);
    if (!g_status) return;
    report(SERVICE_START_PENDING, NO_ERROR, 10000);
    report(SERVICE_RUNNING);
    int rc = 1;
    try {
        rc = g_run();
    } catch (const Failure& e) {
        std::cerr << "mailporter-cli: error: " << e.text << "\n";
    } catch (const std::exception& e) {
        std::cerr << "mailporter-cli: error: " << e.what() << "\n";
    }
    report(SERVICE_STOPPED, static_cast<DWORD>(rc));
}

int install(Context& ctx, bool data_dir_given) {
    const auto dir = service_data_dir(ctx, data_dir_given);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Failure{"cannot create " + dir.string() + ": " + ec.message()};
    if (!data_dir_given) restrict_to_admins(dir);
    wchar_t exe[MAX_PATH * 4];
    const DWORD n = ::GetModuleFileNameW(nullptr, exe, static_cast<DWORD>(std::size(exe)));
    if (n == 0 || n >= std::size(exe)) fail("cannot find mailporter-cli.exe's own path");
    const std::wstring command =
        L"\"" + std::wstring(exe, n) + L"\" --data-dir \"" + dir.wstring() + L"\" --secret-store file service run";
    ScHandle manager(open_manager(SC_MANAGER_CREATE_SERVICE | SC_MANAGER_CONNECT));
    ScHandle service(::CreateServiceW(manager.h, ServiceName, DisplayName, SERVICE_ALL_ACCESS,
                                      SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
                                      command.c_str(), nullptr, nullptr, L"Tcpip\0Dnscache\0\0", nullptr, nullptr));
    if (!service.h) {
        if (::GetLastError() == ERROR_SERVICE_EXISTS)
            throw Failure{"the MailPorter service is installed already (mailporter-cli service uninstall first)"};
        fail("cannot install the MailPorter service");
    }
    SERVICE_DESCRIPTIONW desc{const_cast<wchar_t*>(Description)};
    ::ChangeServiceConfig2W(service.h, SERVICE_CONFIG_DESCRIPTION, &desc);
    // Restart after a crash: after 1 minute, twice, then every 5 minutes.
    SC_ACTION actions[3] = {{SC_ACTION_RESTART, 60000}, {SC_ACTION_RESTART, 60000}, {SC_ACTION_RESTART, 300000}};
    SERVICE_FAILURE_ACTIONSW failure{86400, nullptr, nullptr, 3, actions};
    ::ChangeServiceConfig2W(service.h, SERVICE_CONFIG_FAILURE_ACTIONS, &failure);
    std::cout << "service MailPorter installed (starts with Windows, as LocalSystem); data directory " << dir.string()
              << ", passwords in its file store\n"
              << "add accounts from an administrator's prompt with: mailporter-cli --data-dir \"" << dir.string()
              << "\" --secret-store file account add ...\n"
              << "then: mailporter-cli service start\n";
    return 0;
}

int start() {
    ScHandle manager(open_manager(SC_MANAGER_CONNECT));
    ScHandle service(open_service(manager.h, SERVICE_START | SERVICE_QUERY_STATUS));
    if (!service.h) throw Failure{"the MailPorter service is not installed (mailporter-cli service install)"};
    if (current_state(service.h) == SERVICE_RUNNING) {
        std::cout << "service MailPorter is running already\n";
        return 0;
    }
    if (!::StartServiceW(service.h, 0, nullptr)) fail("cannot start the MailPorter service");
    if (!wait_for(service.h, SERVICE_RUNNING, std::chrono::seconds(30)))
        throw Failure{std::string("the MailPorter service did not start; it is ") +
                      state_name(current_state(service.h)) + " (see mailporter-cli log)"};
    std::cout << "service MailPorter running\n";
    return 0;
}

int stop_service(bool quiet_if_missing) {
    ScHandle manager(open_manager(SC_MANAGER_CONNECT));
    ScHandle service(open_service(manager.h, SERVICE_STOP | SERVICE_QUERY_STATUS));
    if (!service.h) {
        if (quiet_if_missing) return 0;
        throw Failure{"the MailPorter service is not installed"};
    }
    if (current_state(service.h) == SERVICE_STOPPED) {
        std::cout << "service MailPorter is stopped\n";
        return 0;
    }
    SERVICE_STATUS st{};
    if (!::ControlService(service.h, SERVICE_CONTROL_STOP, &st) && ::GetLastError() != ERROR_SERVICE_NOT_ACTIVE)
        fail("cannot stop the MailPorter service");
    if (!wait_for(service.h, SERVICE_STOPPED, std::chrono::seconds(60)))
        throw Failure{"the MailPorter service did not stop within a minute"};
    std::cout << "service MailPorter stopped\n";
    return 0;
}

int uninstall() {
    stop_service(true);
    ScHandle manager(open_manager(SC_MANAGER_CONNECT));
    ScHandle service(open_service(manager.h, DELETE));
    if (!service.h) {
        std::cout << "the MailPorter service is not installed\n";
        return 0;
    }
    if (!::DeleteService(service.h)) fail("cannot remove the MailPorter service");
    std::cout << "service MailPorter removed (its data directory stays)\n";
    return 0;
}

int status() {
    ScHandle manager(open_manager(SC_MANAGER_CONNECT));
    ScHandle service(open_service(manager.h, SERVICE_QUERY_STATUS));
    if (!service.h) {
        std::cout << "service MailPorter: not installed\n";
        return 1;
    }
    std::cout << "service MailPorter: " << state_name(current_state(service.h)) << "\n";
    return 0;
}

}  // namespace

int cmd_service(Context& ctx, const std::string& verb, const Args& a, bool data_dir_given,
                const std::function<int()>& run_engine, const std::function<void()>& stop) {
    a.reject_unknown();
    if (verb == "install") return install(ctx, data_dir_given);
    if (verb == "uninstall") return uninstall();
    if (verb == "start") return start();
    if (verb == "stop") return stop_service(false);
    if (verb == "status") return status();
    if (verb == "run") {
        g_run = run_engine;
        g_stop = stop;
        SERVICE_TABLE_ENTRYW table[] = {{const_cast<wchar_t*>(ServiceName), service_main}, {nullptr, nullptr}};
        if (!::StartServiceCtrlDispatcherW(table)) {
            if (::GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
                throw UsageError{"'service run' is started by the Service Control Manager; in a console use 'run'"};
            fail("the Service Control Manager refused the service");
        }
        return static_cast<int>(g_state.dwServiceSpecificExitCode);
    }
    throw UsageError{"service needs install, uninstall, start, stop, status or run"};
}

}  // namespace mailporter::cli

#else  // !_WIN32

namespace mailporter::cli {

int cmd_service(Context&, const std::string&, const Args&, bool, const std::function<int()>&,
                const std::function<void()>&) {
    throw Failure{
        "'service' is for Windows; on Linux the package's systemd unit runs the engine "
        "(systemctl --user enable --now mailporter.service)"};
}

}  // namespace mailporter::cli

#endif
