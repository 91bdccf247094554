// `mailporter-cli stats` (issue 17) on a data directory with known history,
// no test bed: the JSON's numbers are what the history records say (counted
// here record by record) and what the core computes; the table names every
// account; bad options are refused.

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_runner.h"
#include "store/database.h"
#include "mailporter/traffic.h"
#include "store/message_store.h"
#include "unit/store/temp_dir.h"
#include "core_access.h"

using namespace mailporter;
using nlohmann::json;
using O = HistoryRecord::Outcome;

namespace {

struct DataDir {
    test::TempDir dir;
    std::unique_ptr<Database> db;
    DataDir() {
        auto opened = Database::open(dir / "mailporter.db");
        REQUIRE(opened.ok());
        db = std::move(opened).value();
    }
    std::int64_t account(const std::string& name) {
        Account a;
        a.name = name;
        a.host = "pop.example.net";
        a.port = 995;
        a.user = name;
        a.deliver_to = name + "@office.example";
        auto added = db->add_account(a);
        REQUIRE(added.ok());
        return added->id;
    }
    void history(const std::string& acc, std::int64_t time, std::int64_t size, O outcome = O::Delivered) {
        HistoryRecord r;
        r.time = time;
        r.account = acc;
        r.size = size;
        r.outcome = outcome;
        REQUIRE(db->add_history(r).ok());
    }
    test::CliResult stats(std::vector<std::string> args) {
        args.insert(args.begin(), {"--data-dir", dir.path().string(), "--secret-store", "file", "stats"});
        return test::run_cli(args);
    }
};

json parse(const test::CliResult& r) {
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// What history says, record by record, for one account ("" = all) in [start, end).
struct Counted {
    std::int64_t delivered = 0, bytes = 0, refused = 0, skipped = 0;
    std::map<std::int64_t, std::int64_t> per_hour;  // index -> delivered
};
Counted count(Database& db, const std::string& acc, std::int64_t start, std::int64_t end) {
    Counted c;
    auto rows = db.history(acc.empty() ? std::nullopt : std::optional(acc), 0);
    REQUIRE(rows.ok());
    for (const auto& r : *rows) {
        if (r.time < start || r.time >= end) continue;
        if (r.outcome == O::Refused) ++c.refused;
        if (r.outcome == O::Skipped) ++c.skipped;
        if (r.outcome != O::Delivered) continue;
        ++c.delivered;
        c.bytes += r.size;
        ++c.per_hour[(r.time - start) / 3600];
    }
    return c;
}

void check_series(const json& s, const Counted& c, int hours) {
    CHECK(s["delivered"].get<std::int64_t>() == c.delivered);
    CHECK(s["bytes"].get<std::int64_t>() == c.bytes);
    CHECK(s["refused"].get<std::int64_t>() == c.refused);
    CHECK(s["skipped"].get<std::int64_t>() == c.skipped);
    REQUIRE(s["messages_per_hour"].size() == static_cast<std::size_t>(hours));
    for (int i = 0; i < hours; ++i) {
        const auto it = c.per_hour.find(i);
        CHECK(s["messages_per_hour"][static_cast<std::size_t>(i)].get<std::int64_t>() ==
              (it == c.per_hour.end() ? 0 : it->second));
    }
}

}  // namespace

TEST_CASE("stats --json: the numbers are what history says", "[stats]") {
    DataDir d;
    const auto info = d.account("Info");
    d.account("sales");
    d.account("quiet");
    const std::int64_t now = std::time(nullptr);
    for (int i = 0; i < 40; ++i) d.history(i % 3 ? "Info" : "info", now - i * 3 * 3600 - 60, 1000 + i);
    d.history("Info", now - 8 * 86400, 5);  // older than the week
    d.history("Info", now - 7200, 10, O::Refused);
    const std::int64_t sales_hour = (now - 2 * 86400) / 3600 * 3600;
    d.history("sales", sales_hour + 100, 777);
    d.history("sales", sales_hour + 200, 223);
    d.history("sales", now - 100, 1, O::Skipped);
    d.history("gone", now - 3600, 42);
    store::MessageStore ms(*d.db);
    REQUIRE(ms.seen(info, "", "waiting", 10, now - 5400).ok());

    const json j = parse(d.stats({"--json"}));
    const std::int64_t start = j["start"], end = j["end"], at = j["now"];
    CHECK(j["hours"] == 168);
    CHECK(j["days"] == 7);
    CHECK(end - start == 168 * 3600);
    CHECK(at >= now);
    CHECK(at < end);
    REQUIRE(j["accounts"].size() == 4);
    CHECK(j["accounts"][0]["account"] == "Info");
    CHECK(j["accounts"][1]["account"] == "quiet");
    CHECK(j["accounts"][2]["account"] == "sales");
    CHECK(j["accounts"][3]["account"] == "gone");
    CHECK(j["accounts"][3]["configured"] == false);
    check_series(j["accounts"][0], count(*d.db, "Info", start, end), 168);
    check_series(j["accounts"][2], count(*d.db, "sales", start, end), 168);
    check_series(j["total"], count(*d.db, "", start, end), 168);
    CHECK(j["accounts"][0]["oldest_waiting"]["first_seen"] == now - 5400);
    CHECK(j["accounts"][0]["oldest_waiting"]["age_seconds"] == at - (now - 5400));
    CHECK(j["accounts"][1]["oldest_waiting"].is_null());
    CHECK(j["accounts"][1]["peak"].is_null());
    CHECK(j["total"]["oldest_waiting"]["first_seen"] == now - 5400);
    const std::int64_t peak_start = j["accounts"][2]["peak"]["start"];
    CHECK(peak_start == sales_hour);
    CHECK(j["accounts"][2]["peak"]["messages"] == 2);
    CHECK(j["accounts"][2]["peak"]["bytes"] == 1000);

    // Exactly the core's computation over the same database at the same time.
    auto core = read_traffic(*d.db, at, 7);
    REQUIRE(core.ok());
    for (std::size_t i = 0; i < core->accounts.size(); ++i) {
        CHECK(j["accounts"][i]["messages_per_hour"].get<std::vector<std::int64_t>>() == core->accounts[i].messages);
        CHECK(j["accounts"][i]["bytes_per_hour"].get<std::vector<std::int64_t>>() == core->accounts[i].bytes);
    }
}

TEST_CASE("stats: --account, --days, the table, bad options", "[stats]") {
    DataDir d;
    d.account("Info");
    d.account("sales");
    const std::int64_t now = std::time(nullptr);
    d.history("info", now - 60, 100);
    d.history("info", now - 3 * 86400, 200);
    d.history("sales", now - 60, 300);

    const json one = parse(d.stats({"--account", "INFO", "--days", "2", "--json"}));
    CHECK(one["hours"] == 48);
    REQUIRE(one["accounts"].size() == 1);
    CHECK(one["accounts"][0]["account"] == "Info");
    CHECK(one["accounts"][0]["delivered"] == 1);  // three days old is out of two days
    CHECK(one["total"]["bytes"] == 100);

    const auto table = d.stats({});
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.find("Info") != std::string::npos);
    CHECK(table.out.find("sales") != std::string::npos);
    CHECK(table.out.find("total") != std::string::npos);
    CHECK(table.out.find("600 B") != std::string::npos);  // the total's bytes

    CHECK(d.stats({"--days", "0"}).exit_code == 2);
    CHECK(d.stats({"--days", "31"}).exit_code == 2);
    CHECK(d.stats({"--bogus"}).exit_code == 2);
    const auto unknown = d.stats({"--account", "nobody"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("nobody") != std::string::npos);
}
