#pragma once
// TrafficChart: the status window's traffic at a glance (issue 17). Bars of
// the messages delivered per hour over the last 7 days for one account (or
// all when none is selected), day separators with their dates, the busiest
// hour's count as the scale, the totals, and the age of the oldest message
// waiting. The numbers are the core's (mailporter/traffic.h, read through
// `Loader`); this panel lays them out and draws them with wxGraphicsContext.
//
// Freshness: reloaded once a minute while shown, soon after new history
// (history_changed(), coalesced), and at the first paint after a while
// hidden. Main thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wx/panel.h>
#include <wx/timer.h>

#include "mailporter/result.h"
#include "mailporter/traffic.h"

class wxGraphicsContext;

namespace mailporter::app {

class TrafficChart : public wxPanel {
public:
    // Reads the traffic of the `days` ending at `now` (Unix seconds).
    using Loader = std::function<Result<Traffic>(std::int64_t now, int days)>;

    TrafficChart(wxWindow* parent, Loader loader);

    // "" shows the total of every account.
    void set_account(const std::string& name);
    const std::string& account() const { return account_; }
    // Reads the traffic now (and repaints).
    void reload();
    // A pass wrote history: reload within a few seconds.
    void history_changed();

    // What is drawn (tests): the model, the series shown (null while an
    // account has no traffic and no series yet), and the chart's texts.
    const Traffic& traffic() const { return traffic_; }
    const TrafficSeries* shown() const;
    wxString summary_text() const;  // "Info, last 7 days: 120 messages, 4.5 MB; busiest hour ..."
    wxString scale_text() const;    // the busiest hour's count, at the top of the scale
    wxString waiting_text() const;  // the oldest message waiting, or that none is
    wxString error_text() const { return error_; }

    // The bars as laid out for a client area of `size`: one per hour,
    // oldest first; a height of 0 for an hour without mail.
    struct Bar {
        double x = 0, y = 0, width = 0, height = 0;
    };
    std::vector<Bar> bars(const wxSize& size) const;

    static constexpr int Days = TrafficDefaultDays;
    static constexpr int ReloadSeconds = 60;
    static constexpr int SoonMilliseconds = 3000;

private:
    struct Plot {
        double left = 0, top = 0, width = 0, height = 0;
    };
    Plot plot_area(const wxSize& size) const;
    void on_paint(wxPaintEvent& event);
    void draw_days(wxGraphicsContext& gc, const Plot& plot) const;

    Loader loader_;
    Traffic traffic_;
    std::string account_;
    wxString error_;
    std::int64_t loaded_at_ = 0;  // Unix seconds; 0: never
    std::chrono::milliseconds load_took_{0};
    wxTimer minute_;
    wxTimer soon_;
};

}  // namespace mailporter::app
