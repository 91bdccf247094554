// The Windows Credential Manager as the "keyring" store (what wxSecretStore
// uses on Windows, and what an admin sees under Control Panel → Credential
// Manager → Windows Credentials).
//
// A credential's blob holds at most 2,560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE)
// and an OAuth2 grant or a certificate credential can be longer, so a secret
// is kept in parts:
//     <prefix><key>              the index: UserName "gen=G;parts=N", no blob
//     <prefix><key>#G.<i>        part i (0..N-1) of generation G
// store() writes the new generation's parts first, then the index in one
// CredWrite (atomic), then deletes the old generation's parts: a reader sees
// the old secret or the new one, never a mix, also after a crash (which at
// worst leaves unreferenced parts, removed by the next store or erase).
// Credentials persist on this machine for this user (CRED_PERSIST_LOCAL_MACHINE:
// not copied to roaming profiles).

#include "mailporter/secret_store.h"
#include "mailporter/windows_text.h"

#ifdef _WIN32

#include <windows.h>
#include <wincred.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <openssl/crypto.h>

namespace mailporter {
namespace {

constexpr std::size_t PartSize = 2048;  // below CRED_MAX_CREDENTIAL_BLOB_SIZE
constexpr unsigned MaxParts = 512;      // 1 MiB: far beyond any secret of ours

Error unavailable(const std::string& what, DWORD err) {
    return make_error(Errc::SecretStoreUnavailable,
                      "Windows Credential Manager: " + what + " (error " + std::to_string(err) + ")", ErrorScope::Local,
                      Retry::Later);
}

// Keys are UTF-8 (account names); a byte that is not valid UTF-8 is kept as
// %XX so that two keys never map to one target name.
std::wstring target_of(std::string_view prefix, std::string_view key) {
    std::string text(prefix);
    for (unsigned char c : key) {
        if (c < 0x20 || c == '%' || c == '#') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            text += buf;
        } else {
            text += static_cast<char>(c);
        }
    }
    auto wide = utf8_to_utf16(text, true);
    if (!wide) {  // not UTF-8: hex-escape every high byte instead
        std::string ascii;
        for (unsigned char c : text) {
            if (c >= 0x80) {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                ascii += buf;
            } else {
                ascii += static_cast<char>(c);
            }
        }
        return std::wstring(ascii.begin(), ascii.end());
    }
    return *wide;
}

std::wstring part_target(const std::wstring& target, unsigned gen, unsigned i) {
    return target + L"#" + std::to_wstring(gen) + L"." + std::to_wstring(i);
}

struct Index {
    unsigned gen = 0;
    unsigned parts = 0;
};

// The index credential, or nullopt when there is none.
Result<std::optional<Index>> read_index(const std::wstring& target) {
    PCREDENTIALW c = nullptr;
    if (!::CredReadW(target.c_str(), CRED_TYPE_GENERIC, 0, &c)) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_NOT_FOUND) return std::optional<Index>{};
        return unavailable("cannot read a credential", err);
    }
    Index ix;
    const bool ok =
        c->UserName && std::swscanf(c->UserName, L"gen=%u;parts=%u", &ix.gen, &ix.parts) == 2 && ix.parts <= MaxParts;
    ::CredFree(c);
    if (!ok)
        return make_error(Errc::SecretStoreUnavailable,
                          "Windows Credential Manager: a MailPorter credential was changed by hand; remove it and "
                          "enter the password again",
                          ErrorScope::Local, Retry::Never);
    return std::optional<Index>{ix};
}

Result<void> write_credential(const std::wstring& target, const std::wstring& user, std::string_view blob) {
    CREDENTIALW c{};
    c.Type = CRED_TYPE_GENERIC;
    c.TargetName = const_cast<wchar_t*>(target.c_str());
    c.UserName = const_cast<wchar_t*>(user.c_str());
    c.Persist = CRED_PERSIST_LOCAL_MACHINE;
    c.CredentialBlobSize = static_cast<DWORD>(blob.size());
    c.CredentialBlob = reinterpret_cast<LPBYTE>(const_cast<char*>(blob.data()));
    if (!::CredWriteW(&c, 0)) return unavailable("cannot store a credential", ::GetLastError());
    return {};
}

void delete_parts(const std::wstring& target, unsigned gen, unsigned from, unsigned to) {
    for (unsigned i = from; i < to; ++i) ::CredDeleteW(part_target(target, gen, i).c_str(), CRED_TYPE_GENERIC, 0);
}

class WinCredStore final : public SecretStore {
public:
    explicit WinCredStore(std::string prefix) : prefix_(std::move(prefix)) {}

    std::string_view kind() const override { return "keyring"; }

    Result<void> store(std::string_view key, std::string_view secret) override {
        if (key.empty()) return make_error(Errc::ConfigInvalid, "empty secret key", ErrorScope::Local, Retry::Never);
        const std::wstring target = target_of(prefix_, key);
        auto old = read_index(target);
        if (!old) return std::move(old).error();
        const unsigned gen = *old ? (*old)->gen + 1 : 1;
        const unsigned parts = static_cast<unsigned>((secret.size() + PartSize - 1) / PartSize);
        if (parts > MaxParts)
            return make_error(Errc::ConfigInvalid, "secret too large for the Credential Manager", ErrorScope::Local,
                              Retry::Never);
        for (unsigned i = 0; i < parts; ++i) {
            if (auto w = write_credential(part_target(target, gen, i), L"part",
                                          secret.substr(std::size_t{i} * PartSize, PartSize));
                !w) {
                delete_parts(target, gen, 0, i);
                return w;
            }
        }
        const std::wstring index = L"gen=" + std::to_wstring(gen) + L";parts=" + std::to_wstring(parts);
        if (auto w = write_credential(target, index, {}); !w) {
            delete_parts(target, gen, 0, parts);
            return w;
        }
        if (*old) delete_parts(target, (*old)->gen, 0, (*old)->parts);
        return {};
    }

    Result<std::optional<std::string>> load(std::string_view key) override {
        const std::wstring target = target_of(prefix_, key);
        auto ix = read_index(target);
        if (!ix) return std::move(ix).error();
        if (!*ix) return std::optional<std::string>{};
        std::string secret;
        for (unsigned i = 0; i < (*ix)->parts; ++i) {
            PCREDENTIALW c = nullptr;
            if (!::CredReadW(part_target(target, (*ix)->gen, i).c_str(), CRED_TYPE_GENERIC, 0, &c)) {
                OPENSSL_cleanse(secret.data(), secret.size());
                return make_error(Errc::SecretStoreUnavailable,
                                  "Windows Credential Manager: a part of a stored secret is missing; enter the "
                                  "password again",
                                  ErrorScope::Local, Retry::Never);
            }
            secret.append(reinterpret_cast<const char*>(c->CredentialBlob), c->CredentialBlobSize);
            ::SecureZeroMemory(c->CredentialBlob, c->CredentialBlobSize);
            ::CredFree(c);
        }
        return std::optional<std::string>{std::move(secret)};
    }

    Result<void> erase(std::string_view key) override {
        const std::wstring target = target_of(prefix_, key);
        auto ix = read_index(target);
        if (!ix) return std::move(ix).error();
        if (!*ix) return {};
        if (!::CredDeleteW(target.c_str(), CRED_TYPE_GENERIC, 0)) {
            const DWORD err = ::GetLastError();
            if (err != ERROR_NOT_FOUND) return unavailable("cannot remove a credential", err);
        }
        delete_parts(target, (*ix)->gen, 0, (*ix)->parts);
        return {};
    }

private:
    std::string prefix_;
};

}  // namespace

Result<std::unique_ptr<SecretStore>> open_keyring_store(std::string_view service_prefix) {
    return std::unique_ptr<SecretStore>(std::make_unique<WinCredStore>(std::string(service_prefix)));
}

}  // namespace mailporter

#endif  // _WIN32
