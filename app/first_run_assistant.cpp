// FirstRunAssistant itself (first_run.h): its pages in order, how a run
// ends, and the buttons it adds (Next pressed by code, "Set up by hand").

#include "first_run.h"

#include <wx/button.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/utils.h>

#include "diagnosis_view.h"
#include "icons.h"
#include "office_panel.h"

namespace mailporter::app {

// --- the assistant -----------------------------------------------------------

FirstRunAssistant::FirstRunAssistant(wxWindow* parent, EngineBridge& bridge, FirstRunHost& host,
                                     std::vector<std::string> taken_names)
    : wxWizard(parent, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("First start"),
               envelope_bundle(Light::Green, wxSize(64, 64)), wxDefaultPosition,
               wxDEFAULT_DIALOG_STYLE | wxRESIZE_BORDER),
      bridge_(bridge),
      host_(host),
      taken_names_(std::move(taken_names)) {
    SetIcons(envelope_icon_bundle(Light::Green));
    office_ = new OfficeStep(*this);
    mailbox_ = new MailboxStep(*this);
    check_ = new CheckStep(*this);
    office_->Chain(mailbox_).Chain(check_);
    // Sized for the fullest state of every page: nothing under the fold.
    office_->panel().diagnosis().reserve_space(true);
    wxSize page_size = FromDIP(wxSize(600, 420));
    for (wxWindow* p : std::initializer_list<wxWindow*>{office_, mailbox_, check_}) {
        p->InvalidateBestSize();
        p->Layout();
        page_size.IncTo(p->GetBestSize());
    }
    office_->panel().diagnosis().reserve_space(false);
    office_->InvalidateBestSize();
    SetPageSize(page_size);
    GetPageAreaSizer()->Add(office_);

    Bind(wxEVT_WIZARD_PAGE_CHANGED, [this](wxWizardEvent& e) {
        if (e.GetPage() == mailbox_) mailbox_->entering();
        if (e.GetPage() == check_) {
            // No way back once saving started: the settings are in use.
            if (auto* back = FindWindow(wxID_BACKWARD)) back->Disable();
            check_->entering();
        }
        if (auto* page = dynamic_cast<AssistantPage*>(e.GetPage())) page->revalidate();
    });
    Bind(wxEVT_WIZARD_PAGE_CHANGING, [this](wxWizardEvent& e) {
        if (!e.GetDirection()) return;
        auto* page = dynamic_cast<AssistantPage*>(e.GetPage());
        if (page && !page->problem().empty()) {
            page->revalidate();
            wxBell();
            e.Veto();
        }
    });
}

FirstRunAssistant::Ending FirstRunAssistant::run() {
    started_ = std::chrono::steady_clock::now();
    const bool finished = RunWizard(office_);
    if (by_hand_) return Ending::ByHand;
    return finished || check_->finished() ? Ending::Finished : Ending::Cancelled;
}

void FirstRunAssistant::press_next() {
    auto* next = FindWindow(wxID_FORWARD);
    if (!next || !next->IsEnabled()) return;
    wxCommandEvent click(wxEVT_BUTTON, wxID_FORWARD);
    click.SetEventObject(next);
    next->GetEventHandler()->ProcessEvent(click);
}

void FirstRunAssistant::choose_by_hand() {
    if (!office_->problem().empty()) {
        mailbox_->revalidate();
        wxBell();
        return;
    }
    by_hand_ = true;
    EndModal(wxID_CANCEL);
}

void FirstRunAssistant::outcome_reached() {
    seconds_to_outcome_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

}  // namespace mailporter::app
