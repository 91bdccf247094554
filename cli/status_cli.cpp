// status [--json]: the scheduler, each account and the office server, as
// the Workspace's snapshot tells them (colours, today's counts, next check).

#include <cstdint>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "mailporter/status.h"

namespace mailporter::cli {

namespace {

using Json = nlohmann::ordered_json;

// The next check as Unix seconds, when there is a time to tell.
std::optional<std::int64_t> next_time(const mp::NextCheck& n) {
    if (n.kind == mp::NextCheck::Kind::Now || n.kind == mp::NextCheck::Kind::At) return n.at;
    return std::nullopt;
}

Json optional_number(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json status_fields(Json j, const mp::Status& s) {
    j["colour"] = mp::to_string(s.colour);
    j["code"] = mp::to_string(s.code);
    j["sentence"] = s.sentence();
    j["detail"] = s.detail;
    return j;
}

Json account_json(const mp::AccountSnapshot& r) {
    Json j;
    j["name"] = r.account.name;
    j["id"] = r.account.id;
    j["enabled"] = r.account.enabled;
    j = status_fields(std::move(j), r.status);
    const auto& p = r.last_pass;
    j["last_check"] = optional_number(p ? std::optional<std::int64_t>(p->checked_at) : std::nullopt);
    j["next_check"] = optional_number(next_time(r.next));
    j["listed"] = p ? p->listed : 0;
    j["delivered"] = p ? p->delivered : 0;
    j["deleted"] = p ? p->deleted : 0;
    j["kept"] = p ? p->kept : 0;
    j["notices"] = p ? p->notices : std::vector<std::string>{};
    Json today;
    today["delivered"] = r.today.delivered;
    today["refused"] = r.today.refused;
    today["skipped"] = r.today.skipped;
    j["today"] = std::move(today);
    return j;
}

// `status --json` (the man page lists the fields).
Json status_json(const mp::StatusSnapshot& s, const std::string& secret_store) {
    Json j;
    j["colour"] = mp::to_string(s.overall);
    j["scheduler"] = s.paused ? "paused" : "running";
    j["engine_pid"] = s.engine_pid ? Json(*s.engine_pid) : Json(nullptr);
    j["max_connections"] = s.max_connections;
    j["default_interval_minutes"] = s.default_interval_minutes;
    j["secret_store"] = secret_store;
    Json office = status_fields(Json(), s.office_status);
    office["host"] = s.office ? s.office->host : std::string();
    office["port"] = s.office ? Json(s.office->port) : Json(nullptr);
    j["office"] = std::move(office);
    j["accounts"] = Json::array();
    for (const auto& r : s.accounts) j["accounts"].push_back(account_json(r));
    return j;
}

std::string next_text(const mp::AccountSnapshot& r) {
    using K = mp::NextCheck::Kind;
    switch (r.next.kind) {
        case K::WhenResumed:
            return "when resumed";
        case K::Now:
        case K::At:
            return local_time(r.next.at);
        case K::AfterSignIn:
            return "after you sign in again (mailporter-cli account signin " + r.account.name + ")";
        case K::AfterEdit:
            return "after the account is edited";
        case K::Disabled:
        case K::Unknown:
            break;
    }
    return "shortly";
}

void print_account(const mp::AccountSnapshot& r) {
    std::cout << r.account.name << ": ";
    if (!r.account.enabled) {
        std::cout << "disabled (not checked; enable it with: mailporter-cli account edit " << r.account.name
                  << " --enabled)\n";
        return;
    }
    std::cout << mp::to_string(r.status.colour) << " (" << mp::to_string(r.status.code) << ") — "
              << r.status.sentence();
    if (!r.status.detail.empty()) std::cout << "\n    " << r.status.detail;
    const auto& p = r.last_pass;
    std::cout << "\n    last check " << (p ? local_time(p->checked_at) : std::string("never")) << ", next "
              << next_text(r);
    if (p)
        std::cout << "; last pass " << p->delivered << " delivered, " << p->deleted << " deleted, " << p->kept
                  << " kept";
    std::cout << "; today " << r.today.delivered << " delivered";
    if (r.today.refused) std::cout << ", " << r.today.refused << " refused";
    if (r.today.skipped) std::cout << ", " << r.today.skipped << " skipped";
    std::cout << "\n";
}

void print_status(const mp::StatusSnapshot& s, const std::string& secret_store) {
    std::cout << "MailPorter: " << mp::to_string(s.overall) << "; scheduler " << (s.paused ? "paused" : "running")
              << (s.engine_pid ? "; engine running (process " + std::to_string(*s.engine_pid) + ")"
                               : "; no engine running")
              << "; up to " << s.max_connections << " connections at once; passwords: "
              << (secret_store == "not chosen yet" ? std::string("no store chosen yet") : secret_store + " store")
              << "\n";
    const auto& o = s.office_status;
    std::cout << "office server "
              << (s.office ? s.office->host + ":" + std::to_string(s.office->port) : std::string("(none)")) << ": "
              << mp::to_string(o.colour) << " (" << mp::to_string(o.code) << ") — " << o.sentence() << "\n";
    for (const auto& r : s.accounts) print_account(r);
}

}  // namespace

int cmd_status(Context& ctx, const Args& a) {
    const bool json = a.flag("json");
    a.reject_unknown();
    const auto snapshot = need(ctx.workspace().snapshot(std::time(nullptr)));
    const std::string secret_store = ctx.shown_secret_store();
    if (json)
        std::cout << status_json(snapshot, secret_store).dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    else
        print_status(snapshot, secret_store);
    return ExitOk;
}

}  // namespace mailporter::cli
