# Cross-compiles for 64-bit Windows with Debian's MinGW-w64, GCC 12, posix
# threads (g++-mingw-w64-x86-64-posix: std::thread, C++20 coroutines).
#
#   prefix=$(script/windows-deps)      # wxWidgets (MSW), OpenSSL, SQLite, SQLiteCpp, ...
#   cmake -S . -B build/windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#         -DMAILPORTER_WINDEPS_PREFIX="$prefix"
#
# MAILPORTER_WINDEPS_PREFIX (cache variable or environment variable) is the
# dependency prefix built by script/windows-deps; script/windows-deps itself
# builds expat and SQLiteCpp with this file. Libraries, headers and CMake
# packages are searched only there and in the MinGW sysroot, never in the
# Linux system (Debian's libssl.a or libsqlite3.a would be found otherwise).
# Programs are linked fully static (winpthread included): one .exe, no DLLs
# from the MinGW runtime to ship. Executables run under Wine
# (CMAKE_CROSSCOMPILING_EMULATOR) when wine64 is installed.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(MAILPORTER_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MAILPORTER_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${MAILPORTER_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${MAILPORTER_MINGW_TRIPLET}-windres)
set(CMAKE_AR ${MAILPORTER_MINGW_TRIPLET}-ar CACHE FILEPATH "Archiver")
set(CMAKE_RANLIB ${MAILPORTER_MINGW_TRIPLET}-ranlib CACHE FILEPATH "Ranlib")

# The prefix: -D on the first configure, or the environment. try_compile
# projects re-read this file, so forward the variable to them too.
if(NOT MAILPORTER_WINDEPS_PREFIX AND DEFINED ENV{MAILPORTER_WINDEPS_PREFIX})
  set(MAILPORTER_WINDEPS_PREFIX "$ENV{MAILPORTER_WINDEPS_PREFIX}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MAILPORTER_WINDEPS_PREFIX)
if(MAILPORTER_WINDEPS_PREFIX)
  set(MAILPORTER_WINDEPS_PREFIX "${MAILPORTER_WINDEPS_PREFIX}" CACHE PATH
      "Windows dependency prefix (script/windows-deps)")
  set(ENV{MAILPORTER_WINDEPS_PREFIX} "${MAILPORTER_WINDEPS_PREFIX}")
endif()

set(CMAKE_FIND_ROOT_PATH ${MAILPORTER_WINDEPS_PREFIX} /usr/${MAILPORTER_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # build tools come from the Linux host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# wx-config of the MSW build (FindwxWidgets runs it; it is a shell script).
if(MAILPORTER_WINDEPS_PREFIX AND EXISTS "${MAILPORTER_WINDEPS_PREFIX}/bin/wx-config")
  set(wxWidgets_CONFIG_EXECUTABLE "${MAILPORTER_WINDEPS_PREFIX}/bin/wx-config" CACHE FILEPATH "wx-config of the MSW build")
endif()
# pkg-config sees the prefix's .pc files only.
if(MAILPORTER_WINDEPS_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} "${MAILPORTER_WINDEPS_PREFIX}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()

# The prefix holds static libraries only; FindOpenSSL then also adds the
# Windows libraries a static libcrypto needs (ws2_32, crypt32).
set(OPENSSL_USE_STATIC_LIBS TRUE)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

find_program(MAILPORTER_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH
             DOC "Wine, to run the Windows executables on Linux")
if(MAILPORTER_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${MAILPORTER_WINE}")
endif()
