#pragma once
// UTF-8 to UTF-16 for the wide Windows API (Windows only).

#ifdef _WIN32
#include <optional>
#include <string>
#include <string_view>

#include <windows.h>

namespace mailporter {

// `text` as UTF-16. Strict: nullopt when it is not valid UTF-8; otherwise a
// byte that is not becomes U+FFFD.
inline std::optional<std::wstring> utf8_to_utf16(std::string_view text, bool strict = false) {
    if (text.empty()) return std::wstring();
    const DWORD flags = strict ? MB_ERR_INVALID_CHARS : 0;
    const int len = static_cast<int>(text.size());
    const int n = ::MultiByteToWideChar(CP_UTF8, flags, text.data(), len, nullptr, 0);
    if (n <= 0) return std::nullopt;
    std::wstring w(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, flags, text.data(), len, w.data(), n);
    return w;
}

}  // namespace mailporter
#endif
