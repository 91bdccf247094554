#include "status_model.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include <wx/intl.h>

#include "mailporter/config.h"

#include "status_text.h"

namespace mailporter::app {

namespace {

// Windows truncates tray tooltips at 128 characters; keep it short everywhere.
constexpr std::size_t TooltipMax = 120;

wxString tls_mode_text(TlsMode mode) {
    switch (mode) {
        case TlsMode::Implicit:
            return "TLS";
        case TlsMode::StartTls:
            return "STARTTLS";
        case TlsMode::None:
            break;
    }
    return _("no encryption");
}

wxString office_server_text(const OfficeServer& s) {
    wxString text = s.user.empty() ? wxString() : u8(s.user) + "@";
    text += u8(s.host) + wxString::Format(":%u", static_cast<unsigned>(s.port));
    return text + " (" + tls_mode_text(s.tls.mode) + ")";
}

wxString account_server_text(const Account& a) {
    return u8(std::string(to_string(a.protocol))) + "://" + u8(a.user) + "@" + u8(a.host) +
           wxString::Format(":%u", static_cast<unsigned>(a.port));
}

}  // namespace

wxString next_check_text(const EngineBridge::NextCheck& next) {
    using K = EngineBridge::NextCheck::Kind;
    switch (next.kind) {
        case K::At:
            return format_time(next.at);
        case K::Now:
            return _("now");
        case K::WhenResumed:
            return _("when resumed");
        case K::AfterEdit:
            return _("after you edit the account");
        case K::AfterSignIn:
            return _("after you sign in again");
        case K::Disabled:
            return _("disabled");
        case K::Unknown:
            break;
    }
    return wxString::FromUTF8("\u2014");
}

wxString account_details(const AccountRow& row) {
    wxString text = u8(row.account.name) + ": " + row.sentence;
    if (!row.detail.empty() && !row.checking) text += " (" + row.detail + ")";
    if (const wxString push = push_text(row.push); !push.empty()) text += wxString::FromUTF8(" \u2014 ") + push;
    return text;
}

namespace {

// What a row says: disabled, checking now (n of m), or its state in words.
wxString row_sentence(bool enabled, bool checking, StatusCode code, int done, int total) {
    if (!enabled) return _("Disabled: not checked. Modify the account to enable it.");
    if (!checking) return status_sentence(code);
    wxString text = _("Checking now") + wxString::FromUTF8("\u2026");
    if (total > 0)
        text += " " + wxString::Format(wxPLURAL("%d of %d message", "%d of %d messages", total), done, total);
    return text;
}

}  // namespace

void StatusModel::reload(Workspace& ws, const EngineBridge& bridge) {
    paused_ = bridge.paused();
    auto accounts = ws.accounts();
    auto passes = ws.last_passes();
    if (!accounts || !passes) {
        pass_problem_ = describe(!accounts ? accounts.error() : passes.error());
        return;
    }
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const std::int64_t midnight = local_midnight(now);
    if (midnight != today_midnight_) {
        today_cache_.clear();
        today_midnight_ = midnight;
    }

    std::vector<AccountRow> rows;
    std::vector<PassReport> reports;
    std::int64_t office_contact = 0;
    for (const auto& acc : *accounts) {
        AccountRow row;
        row.account = acc;
        row.server = account_server_text(acc);
        // What the database recorded of the last pass (every engine records
        // it, this app's or mailporter-cli's) ...
        Status st;  // white, not checked
        for (const auto& p : *passes) {
            if (p.account_id != acc.id) continue;
            reports.push_back(report_of(p, acc.name));
            st = account_status(reports.back());
            row.last_check = p.checked_at;
            const auto& rep = reports.back();
            if (rep.office_failed || rep.delivered + rep.refused + rep.retrying > 0)
                office_contact = std::max(office_contact, p.checked_at);
        }
        // ... and what the engine in this process says, which is newer.
        int done = 0, total = -1;
        if (const auto live = bridge.live(acc.id)) {
            if (live->status) st = *live->status;
            if (live->last_check) row.last_check = *live->last_check;
            row.checking = live->running;
            row.next = live->next;
            row.delivered_today = live->delivered_today;
            row.push = live->push;
            done = live->done;
            total = live->total;
        } else {
            row.next = bridge.next_check(acc, *passes);
            // Today's deliveries: counted from the history only when a new
            // pass was recorded, never on every tick.
            auto& cached = today_cache_[acc.name];
            if (cached.first != row.last_check || row.last_check == 0) {
                auto n = ws.day_counts(acc.name, now);
                cached = {row.last_check, n ? n->delivered : 0};
            }
            row.delivered_today = cached.second;
        }
        row.light = acc.enabled ? light_of(st.colour) : Light::White;
        row.code = st.code;
        row.detail = u8(st.detail);
        row.sentence = row_sentence(acc.enabled, row.checking, st.code, done, total);
        rows.push_back(std::move(row));
    }
    accounts_ = std::move(rows);

    reload_office(ws, bridge, reports, office_contact);
}

void StatusModel::reload_office(Workspace& ws, const EngineBridge& bridge, const std::vector<PassReport>& reports,
                                std::int64_t office_contact) {
    office_ = OfficeRow{};
    if (auto office = ws.office_server(); office && *office) {
        office_.configured = true;
        office_.server = office_server_text(**office);
        // The engine's word, unless it has not seen this server yet.
        Status st = office_status(reports);
        if (auto live = bridge.office_status(); live && live->code != StatusCode::ConfigInvalid) st = *live;
        office_.light = light_of(st.colour);
        office_.code = st.code;
        office_.detail = u8(st.detail);
        office_.last_contact = office_contact;
        if (st.code == StatusCode::NotChecked)
            office_.sentence = _("Not contacted yet: it is contacted when there is mail to deliver.");
        else if (st.code == StatusCode::Ok)
            office_.sentence = _("The office server accepted mail at the last check.");
        else
            office_.sentence = status_sentence(st.code);
    } else {
        office_.light = Light::Yellow;
        office_.code = StatusCode::ConfigInvalid;
        office_.sentence = _("Not set up: mail cannot be delivered until the office server is set.");
    }
}

const AccountRow* StatusModel::find(const std::string& name) const {
    for (const auto& r : accounts_)
        if (r.account.name == name) return &r;
    return nullptr;
}

Light StatusModel::worst() const {
    Light w = accounts_.empty() ? Light::White : Light::Green;
    for (const auto& row : accounts_)
        if (row.account.enabled) w = worse(w, shown(row.light));
    // An office server not contacted yet (white) does not hold the tray at
    // white: it is only contacted when there is mail, which may be rare.
    if (office_.light != Light::White) w = worse(w, shown(office_.light));
    if (paused_) w = worse(w, Light::Paused);
    if (!problem().empty()) w = worse(w, Light::Red);
    return w;
}

wxString StatusModel::summary() const {
    // The first red row, else the first yellow one, says why; the count of
    // the others follows.
    std::vector<wxString> red, yellow;
    auto consider = [&](const wxString& who, Light light, const wxString& sentence) {
        if (light == Light::Red)
            red.push_back(who + ": " + sentence);
        else if (light == Light::Yellow)
            yellow.push_back(who + ": " + sentence);
    };
    for (const auto& row : accounts_)
        if (row.account.enabled) consider(u8(row.account.name), row.light, row.sentence);
    consider(_("Office server"), office_.light, office_.sentence);

    wxString text;
    const std::size_t troubled = red.size() + yellow.size();
    if (!problem().empty()) {
        text = problem();
    } else if (troubled > 0) {
        text = red.empty() ? yellow.front() : red.front();
        if (troubled > 1) {
            const int more = static_cast<int>(troubled - 1);
            text += wxString::Format(wxPLURAL(" (and %d more)", " (and %d more)", more), more);
        }
    } else if (accounts_.empty()) {
        text = _("No accounts set up yet");
    } else if (worst() == Light::White || std::any_of(accounts_.begin(), accounts_.end(), [](const AccountRow& r) {
                   return r.account.enabled && r.last_check == 0;
               })) {
        text = _("Not checked yet");
    } else {
        text = _("All accounts are fine");
    }
    if (paused_) text = _("Paused") + wxString::FromUTF8(" \u2014 ") + text;
    if (text.length() > TooltipMax) text = text.Left(TooltipMax - 1) + wxString::FromUTF8("\u2026");

    // The soonest next check of any enabled account.
    std::int64_t soonest = 0;
    bool now = false;
    for (const auto& row : accounts_) {
        if (row.next.kind == EngineBridge::NextCheck::Kind::Now) now = true;
        if (row.next.kind == EngineBridge::NextCheck::Kind::At && (soonest == 0 || row.next.at < soonest))
            soonest = row.next.at;
    }
    wxString next;
    if (paused_)
        next = _("Next check: when resumed");
    else if (now)
        next = _("Checking now");
    else if (soonest)
        next = wxString::Format(_("Next check: %s"), format_time(soonest));
    return "MailPorter: " + text + (next.empty() ? wxString() : "\n" + next);
}

}  // namespace mailporter::app
