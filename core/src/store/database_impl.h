#pragma once
// What the store's units share (private to core/src/store): the SQLite
// connection behind a Database, its statement cache and group state, and the
// one boundary where SQLite's exceptions become Errc::StoreError values.

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "store/database.h"

namespace mailporter {

namespace store {

inline constexpr int BusyTimeoutMs = 5000;

inline Error store_error(std::string detail, Retry retry = Retry::Later) {
    return make_error(Errc::StoreError, std::move(detail), ErrorScope::Local, retry);
}

// Runs `body`, turning any exception into Errc::StoreError: no exception
// crosses the public API.
template <class F>
auto guarded(std::string_view what, F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const SQLite::Exception& e) {
        return store_error(std::string(what) + ": " + e.what());
    } catch (const std::exception& e) {
        return store_error(std::string(what) + ": " + e.what());
    }
}

// Resets a cached statement when the scope ends, so that it never keeps a
// read transaction open (which would stall WAL checkpoints), even after an
// exception in the middle of a step.
class Use {
public:
    explicit Use(SQLite::Statement& s) : s_(s) {}
    ~Use() { s_.tryReset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    SQLite::Statement& operator*() const { return s_; }
    SQLite::Statement* operator->() const { return &s_; }

private:
    SQLite::Statement& s_;
};

inline void bind(SQLite::Statement& s, int index, std::string_view text) { s.bind(index, std::string(text)); }

}  // namespace store

struct Database::Impl {
    explicit Impl(SQLite::Database d) : db(std::move(d)) {}

    SQLite::Database db;
    bool txn = false;  // a group opened by begin()
    std::unordered_map<std::string_view, std::unique_ptr<SQLite::Statement>> cache;

    // Cached prepared statement; `sql` must be a constant of static storage
    // (the cache is keyed by its address and text).
    SQLite::Statement& stmt(std::string_view sql) {
        auto it = cache.find(sql);
        if (it == cache.end()) it = cache.emplace(sql, std::make_unique<SQLite::Statement>(db, std::string(sql))).first;
        return *it->second;
    }

    // SQLite rolls a transaction back by itself after SQLITE_FULL, IOERR,
    // NOMEM and some BUSY cases. A write after that would silently run in
    // autocommit mode outside the group; refuse it instead.
    void check_group() const {
        if (txn && sqlite3_get_autocommit(db.getHandle()) != 0)
            throw std::runtime_error(
                "the open transaction was rolled back by SQLite after an earlier "
                "error; call rollback() and redo the group");
    }

    // A unit of several statements that must land together: its own IMMEDIATE
    // transaction, or a savepoint inside the caller's group.
    class Atomic {
    public:
        explicit Atomic(Impl& impl) : impl_(impl), nested_(impl.txn) {
            impl_.check_group();
            impl_.db.exec(nested_ ? "SAVEPOINT atomic" : "BEGIN IMMEDIATE");
        }
        void commit() {
            impl_.db.exec(nested_ ? "RELEASE atomic" : "COMMIT");
            done_ = true;
        }
        ~Atomic() {
            if (done_) return;
            // Errors here are ignored: the first error is what gets reported.
            if (nested_) {
                sqlite3_exec(impl_.db.getHandle(), "ROLLBACK TO atomic; RELEASE atomic", nullptr, nullptr, nullptr);
            } else if (sqlite3_get_autocommit(impl_.db.getHandle()) == 0) {
                sqlite3_exec(impl_.db.getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
            }
        }
        Atomic(const Atomic&) = delete;
        Atomic& operator=(const Atomic&) = delete;

    private:
        Impl& impl_;
        bool nested_;
        bool done_ = false;
    };

    static Result<std::unique_ptr<Database>> make(SQLite::Database db, bool wal);
};

}  // namespace mailporter
