// The desktop keyring through libsecret (Secret Service API over D-Bus).
// Items use wxSecretStore's schema, so a later wx build on a platform with
// wxSecretStore, secret-tool and Seahorse all see the same entries:
//     xdg:schema = org.freedesktop.Secret.Generic, service = prefix + key, user = key

#include "mailporter/secret_store.h"

#ifdef MAILPORTER_HAVE_LIBSECRET

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <sys/stat.h>

#include <libsecret/secret.h>

namespace mailporter {
namespace {

// How long the open-time probe may wait for a bus that accepts the
// connection but never answers.
constexpr auto ProbeTimeout = std::chrono::seconds(3);

constexpr std::string_view HeadlessHint =
    "; on a headless machine (no desktop session, no keyring daemon) use --secret-store file";

Error unavailable(std::string detail) {
    return make_error(Errc::SecretStoreUnavailable, std::move(detail), ErrorScope::Local, Retry::Later);
}

const SecretSchema* schema() {
    static const SecretSchema s = [] {
        SecretSchema v{};
        v.name = "org.freedesktop.Secret.Generic";
        v.flags = SECRET_SCHEMA_NONE;
        v.attributes[0] = {"service", SECRET_SCHEMA_ATTRIBUTE_STRING};
        v.attributes[1] = {"user", SECRET_SCHEMA_ATTRIBUTE_STRING};
        return v;
    }();
    return &s;
}

// Owning handles for the GLib objects we touch.
struct GErrorPtr {
    GError* e = nullptr;
    ~GErrorPtr() {
        if (e) g_error_free(e);
    }
    std::string message() const { return e && e->message ? e->message : "unknown error"; }
};
struct HashTablePtr {
    GHashTable* t;
    ~HashTablePtr() { g_hash_table_unref(t); }
};
struct ValuePtr {
    SecretValue* v;
    ~ValuePtr() {
        if (v) secret_value_unref(v);
    }
};

bool is_text(std::string_view s) {
    return s.find('\0') == std::string_view::npos && g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr);
}

// GDBus finds the session bus through DBUS_SESSION_BUS_ADDRESS or, with a
// systemd user session, $XDG_RUNTIME_DIR/bus. With neither, it would try X11
// autolaunch: answer "unavailable" at once instead.
bool session_bus_configured() {
    const char* addr = std::getenv("DBUS_SESSION_BUS_ADDRESS");
    if (addr && *addr) return true;
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime || !*runtime) return false;
    const std::string sock = std::string(runtime) + "/bus";
    struct stat st {};
    return ::stat(sock.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// secret_service_get_sync() with a watchdog that cancels it after `timeout`,
// so a bus that never answers cannot hang start-up.
SecretService* connect_service(std::chrono::milliseconds timeout, std::string& why) {
    GCancellable* cancel = g_cancellable_new();
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread watchdog([&] {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, timeout, [&] { return done; })) g_cancellable_cancel(cancel);
    });
    GErrorPtr err;
    SecretService* service = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancel, &err.e);
    {
        std::lock_guard lock(m);
        done = true;
    }
    cv.notify_one();
    watchdog.join();
    const bool timed_out = g_cancellable_is_cancelled(cancel);
    g_object_unref(cancel);
    if (!service) why = timed_out ? "the session bus did not answer in time" : err.message();
    return service;
}

class KeyringSecretStore final : public SecretStore {
public:
    KeyringSecretStore(SecretService* service, std::string prefix) : service_(service), prefix_(std::move(prefix)) {}
    ~KeyringSecretStore() override { g_object_unref(service_); }
    KeyringSecretStore(const KeyringSecretStore&) = delete;
    KeyringSecretStore& operator=(const KeyringSecretStore&) = delete;

    std::string_view kind() const override { return "keyring"; }

    Result<void> store(std::string_view key, std::string_view secret) override {
        if (auto ok = check_key(key); !ok) return ok;
        const std::string k(key);
        const std::string service = prefix_ + k;
        HashTablePtr attrs{secret_attributes_build(schema(), "service", service.c_str(), "user", k.c_str(), nullptr)};
        // Text secrets are stored as text/plain (what wx and secret-tool
        // write); anything else as octets, which still round-trips.
        ValuePtr value{secret_value_new(secret.data(), static_cast<gssize>(secret.size()),
                                        is_text(secret) ? "text/plain" : "application/octet-stream")};
        GErrorPtr err;
        // Same attributes as an existing item: the service replaces it in
        // place (no erase first, which a crash could turn into a lost secret).
        if (!secret_service_store_sync(service_, schema(), attrs.t, SECRET_COLLECTION_DEFAULT, service.c_str(), value.v,
                                       nullptr, &err.e))
            return failed("cannot store a secret in the keyring", err);
        return {};
    }

    Result<std::optional<std::string>> load(std::string_view key) override {
        if (auto ok = check_key(key); !ok) return std::move(ok).error();
        const std::string service = prefix_ + std::string(key);
        HashTablePtr attrs{secret_attributes_build(schema(), "service", service.c_str(), nullptr)};
        GErrorPtr err;
        ValuePtr value{secret_service_lookup_sync(service_, schema(), attrs.t, nullptr, &err.e)};
        if (err.e) return failed("cannot read a secret from the keyring", err);
        if (!value.v) return std::optional<std::string>{};
        gsize size = 0;
        const gchar* data = secret_value_get(value.v, &size);
        return std::optional<std::string>{std::string(data ? data : "", data ? size : 0)};
    }

    Result<void> erase(std::string_view key) override {
        if (auto ok = check_key(key); !ok) return ok;
        const std::string service = prefix_ + std::string(key);
        HashTablePtr attrs{secret_attributes_build(schema(), "service", service.c_str(), nullptr)};
        GErrorPtr err;
        // FALSE without an error means "nothing matched".
        if (!secret_service_clear_sync(service_, schema(), attrs.t, nullptr, &err.e) && err.e)
            return failed("cannot erase a secret from the keyring", err);
        return {};
    }

private:
    // D-Bus attribute values are UTF-8 strings without NUL.
    static Result<void> check_key(std::string_view key) {
        if (key.empty() || !is_text(key))
            return make_error(Errc::ConfigInvalid, "a keyring key must be non-empty UTF-8 text", ErrorScope::Local,
                              Retry::Never);
        return {};
    }

    static Error failed(const char* what, const GErrorPtr& err) {
        // GError messages from libsecret/gnome-keyring never carry the secret.
        return unavailable(std::string(what) + ": " + err.message());
    }

    SecretService* service_;  // owned reference
    std::string prefix_;
};

}  // namespace

Result<std::unique_ptr<SecretStore>> open_keyring_store(std::string_view service_prefix) {
    try {
        if (!session_bus_configured())
            return unavailable(
                "no desktop keyring: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)" +
                std::string(HeadlessHint));
        std::string why;
        SecretService* service =
            connect_service(std::chrono::duration_cast<std::chrono::milliseconds>(ProbeTimeout), why);
        if (!service)
            return unavailable("no desktop keyring (Secret Service) is reachable: " + why + std::string(HeadlessHint));
        return std::unique_ptr<SecretStore>(std::make_unique<KeyringSecretStore>(service, std::string(service_prefix)));
    } catch (const std::exception& e) {  // thread creation, bad_alloc
        return unavailable(std::string("keyring: ") + e.what());
    }
}

}  // namespace mailporter

#elif !defined(_WIN32)  // Windows: wincred_secret_store.cpp

namespace mailporter {

Result<std::unique_ptr<SecretStore>> open_keyring_store(std::string_view /*service_prefix*/) {
    return make_error(Errc::SecretStoreUnavailable, "no keyring support in this build; use --secret-store file",
                      ErrorScope::Local, Retry::Never);
}

}  // namespace mailporter

#endif
