#include "traffic_chart.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>

#include <wx/control.h>
#include <wx/datetime.h>
#include <wx/dcclient.h>
#include <wx/graphics.h>
#include <wx/intl.h>
#include <wx/settings.h>

#include "mailporter/calendar.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

const wxColour BarColour(0x2f, 0x6f, 0xb3);
const wxColour CurrentHourColour(0x8d, 0xb2, 0xdc);  // the hour still running: lighter
const wxColour PlotBackground(0xf7, 0xf8, 0xfa);
const wxColour PlotBorder(0xc8, 0xcd, 0xd4);
const wxColour DayLine(0xd6, 0xda, 0xe0);
const wxColour WaitingLong(0xb0, 0x5a, 0x00);  // mail held back over an hour
constexpr std::int64_t WaitingLongSeconds = 3600;

// The two largest units of an age.
wxString format_age(std::int64_t seconds) {
    seconds = std::max<std::int64_t>(0, seconds);
    const int d = static_cast<int>(seconds / 86400), h = static_cast<int>(seconds % 86400 / 3600),
              m = static_cast<int>(seconds % 3600 / 60);
    if (d > 0) return wxString::Format(_("%d d %d h"), d, h);
    if (h > 0) return wxString::Format(_("%d h %d min"), h, m);
    if (m > 0) return wxString::Format(_("%d min"), m);
    return _("under a minute");
}

std::int64_t top_of(const TrafficSeries& s) {
    return s.messages.empty() ? 0 : *std::max_element(s.messages.begin(), s.messages.end());
}

}  // namespace

TrafficChart::TrafficChart(wxWindow* parent, Loader loader) : wxPanel(parent, wxID_ANY), loader_(std::move(loader)) {
    SetBackgroundStyle(wxBG_STYLE_PAINT);  // on_paint covers every pixel
    SetMinSize(FromDIP(wxSize(300, 100)));
    Bind(wxEVT_PAINT, &TrafficChart::on_paint, this);
    Bind(wxEVT_SIZE, [this](wxSizeEvent& e) {
        e.Skip();
        Refresh();
    });
    minute_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) {
        if (IsShownOnScreen()) reload();
    });
    soon_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) {
        if (IsShownOnScreen()) reload();
    });
    minute_.Start(ReloadSeconds * 1000);
    reload();
}

void TrafficChart::set_account(const std::string& name) {
    if (name == account_) return;
    account_ = name;
    SetToolTip(summary_text());
    Refresh();
}

void TrafficChart::reload() {
    const std::int64_t now = std::time(nullptr);
    const auto began = std::chrono::steady_clock::now();
    auto got = loader_(now, Days);
    load_took_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
    loaded_at_ = now;
    if (got) {
        traffic_ = std::move(got).value();
        error_.clear();
    } else {
        error_ = describe(got.error());
    }
    SetToolTip(error_.empty() ? summary_text() : error_);
    Refresh();
}

void TrafficChart::history_changed() {
    // Passes write history in bursts: one reload for a burst. The read runs
    // on the main thread, so a history that takes long to sum (thousands of
    // busy accounts: a second or more) is summed at most 5 % of the time.
    if (soon_.IsRunning()) return;
    const auto gap = std::max<std::int64_t>(SoonMilliseconds, 20 * load_took_.count());
    const auto since = (std::int64_t{std::time(nullptr)} - loaded_at_) * 1000;
    soon_.StartOnce(static_cast<int>(std::clamp<std::int64_t>(gap - since, SoonMilliseconds, ReloadSeconds * 1000)));
}

const TrafficSeries* TrafficChart::shown() const { return traffic_.find(account_); }

wxString TrafficChart::summary_text() const {
    const TrafficSeries* s = shown();
    const wxString who = account_.empty() ? _("All accounts") : u8(account_);
    if (!s || s->delivered == 0) return wxString::Format(_("%s, last %d days: nothing delivered"), who, Days);
    const auto n = static_cast<unsigned>(std::min<std::int64_t>(s->delivered, 0x7fffffff));
    wxString text = wxString::Format(_("%s, last %d days: "), who, Days) +
                    wxString::Format(wxPLURAL("%u message", "%u messages", n), n) + ", " +
                    format_size(s->delivered_bytes);
    if (s->peak) {
        const auto at = static_cast<std::size_t>(*s->peak);
        text += "; " + wxString::Format(_("busiest hour %s (%lld)"), format_time(traffic_.hour_start(*s->peak)),
                                        static_cast<long long>(s->messages[at]));
    }
    if (s->refused > 0) text += "; " + wxString::Format(_("%lld refused"), static_cast<long long>(s->refused));
    if (s->skipped > 0) text += "; " + wxString::Format(_("%lld skipped"), static_cast<long long>(s->skipped));
    return text;
}

wxString TrafficChart::scale_text() const {
    const TrafficSeries* s = shown();
    return wxString::Format(_("%lld/h"), static_cast<long long>(s ? top_of(*s) : 0));
}

wxString TrafficChart::waiting_text() const {
    const TrafficSeries* s = shown();
    if (!s || !s->oldest_waiting) return _("No mail waiting");
    return wxString::Format(_("Oldest message waiting: %s"), format_age(traffic_.now - *s->oldest_waiting));
}

TrafficChart::Plot TrafficChart::plot_area(const wxSize& size) const {
    const int line = GetCharHeight();
    const double left = GetTextExtent(scale_text()).x + FromDIP(10);
    Plot p;
    p.left = left;
    p.top = line + FromDIP(8);
    p.width = std::max(10.0, size.x - left - FromDIP(8));
    p.height = std::max(10.0, size.y - p.top - line - FromDIP(6));
    return p;
}

std::vector<TrafficChart::Bar> TrafficChart::bars(const wxSize& size) const {
    std::vector<Bar> out;
    const TrafficSeries* s = shown();
    if (!s || traffic_.hours <= 0) return out;
    const Plot p = plot_area(size);
    const double step = p.width / traffic_.hours;
    const double gap = step >= 3 ? 1 : 0;
    const std::int64_t top = top_of(*s);
    for (int i = 0; i < traffic_.hours; ++i) {
        const std::int64_t m = s->messages[static_cast<std::size_t>(i)];
        Bar b;
        b.x = p.left + i * step;
        b.width = std::max(1.0, step - gap);
        b.height = top > 0 ? p.height * static_cast<double>(m) / static_cast<double>(top) : 0;
        b.y = p.top + p.height - b.height;
        out.push_back(b);
    }
    return out;
}

// A line at each local midnight and the day's date under its stretch (when
// the stretch is wide enough to hold it).
void TrafficChart::draw_days(wxGraphicsContext& gc, const Plot& p) const {
    const double step = p.width / std::max(1, traffic_.hours);
    gc.SetFont(GetFont().Smaller(), wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT));
    gc.SetPen(wxPen(DayLine));
    int day_begin = 0;
    for (int i = 0; i <= traffic_.hours; ++i) {
        const bool midnight = i == traffic_.hours || local_tm(traffic_.hour_start(i)).tm_hour == 0;
        if (!midnight) continue;
        if (i < traffic_.hours && i > 0) gc.StrokeLine(p.left + i * step, p.top, p.left + i * step, p.top + p.height);
        if (i > day_begin) {
            const wxString label = wxDateTime(static_cast<time_t>(traffic_.hour_start(day_begin))).Format("%a %d");
            double w = 0, h = 0;
            gc.GetTextExtent(label, &w, &h);
            const double span = (i - day_begin) * step;
            if (w + FromDIP(4) < span)
                gc.DrawText(label, p.left + day_begin * step + (span - w) / 2, p.top + p.height + FromDIP(2));
        }
        day_begin = i;
    }
}

void TrafficChart::on_paint(wxPaintEvent&) {
    wxPaintDC dc(this);
    // Shown again after a while hidden (the timers skip hidden charts).
    if (std::int64_t{std::time(nullptr)} - loaded_at_ >= ReloadSeconds) CallAfter([this] { reload(); });
    const wxSize size = GetClientSize();
    std::unique_ptr<wxGraphicsContext> gc(wxGraphicsContext::Create(dc));
    if (!gc) return;
    const wxColour text = GetForegroundColour();
    gc->SetBrush(wxBrush(GetBackgroundColour()));
    gc->SetPen(*wxTRANSPARENT_PEN);
    gc->DrawRectangle(0, 0, size.x, size.y);

    const TrafficSeries* s = shown();
    const wxString waiting = waiting_text();
    double ww = 0, wh = 0;
    gc->SetFont(GetFont(), text);
    gc->GetTextExtent(waiting, &ww, &wh);
    const bool long_wait = s && s->oldest_waiting && traffic_.now - *s->oldest_waiting > WaitingLongSeconds;
    gc->SetFont(GetFont(), long_wait ? WaitingLong : text);
    gc->DrawText(waiting, size.x - ww - FromDIP(8), FromDIP(2));
    // One line of text, so the bars keep their room at large fonts: the
    // summary gives way (ellipsized; in full in the tooltip).
    gc->SetFont(GetFont(), text);
    dc.SetFont(GetFont());
    const int room = std::max(0, size.x - static_cast<int>(ww) - FromDIP(24));
    gc->DrawText(wxControl::Ellipsize(error_.empty() ? summary_text() : error_, dc, wxELLIPSIZE_END, room), FromDIP(4),
                 FromDIP(2));

    const Plot p = plot_area(size);
    gc->SetBrush(wxBrush(PlotBackground));
    gc->SetPen(wxPen(PlotBorder));
    gc->DrawRectangle(p.left, p.top, p.width, p.height);
    draw_days(*gc, p);

    gc->SetPen(*wxTRANSPARENT_PEN);
    const auto laid = bars(size);
    for (std::size_t i = 0; i < laid.size(); ++i) {
        if (laid[i].height <= 0) continue;
        gc->SetBrush(wxBrush(i + 1 == laid.size() ? CurrentHourColour : BarColour));
        gc->DrawRectangle(laid[i].x, laid[i].y, laid[i].width, std::max(1.0, laid[i].height));
    }

    // The scale: the busiest hour at the top, 0 at the bottom.
    gc->SetFont(GetFont().Smaller(), wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT));
    double sw = 0, sh = 0;
    const wxString top = scale_text();
    gc->GetTextExtent(top, &sw, &sh);
    gc->DrawText(top, p.left - sw - FromDIP(4), p.top - sh / 2);
    gc->GetTextExtent("0", &sw, &sh);
    gc->DrawText("0", p.left - sw - FromDIP(4), p.top + p.height - sh / 2);
}

}  // namespace mailporter::app
