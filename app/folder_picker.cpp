#include "folder_picker.h"

#include <algorithm>
#include <cctype>

#include <wx/checkbox.h>
#include <wx/checklst.h>
#include <wx/choice.h>
#include <wx/intl.h>
#include <wx/radiobut.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/tokenzr.h>

#include "account_fields.h"
#include "status_text.h"
#include "ui_parts.h"

namespace mailporter::app {

namespace {

// The choices of "Folders at the office", in the order the wx choice lists them.
constexpr FolderDelivery Deliveries[] = {FolderDelivery::One, FolderDelivery::Header, FolderDelivery::Plus};

wxString role_text(const std::string& role) {
    if (role == "inbox") return wxGETTEXT_IN_CONTEXT("folder role", "inbox");
    if (role == "sent") return wxGETTEXT_IN_CONTEXT("folder role", "sent");
    if (role == "drafts") return wxGETTEXT_IN_CONTEXT("folder role", "drafts");
    if (role == "trash") return wxGETTEXT_IN_CONTEXT("folder role", "trash");
    if (role == "junk") return wxGETTEXT_IN_CONTEXT("folder role", "junk");
    if (role == "archive") return wxGETTEXT_IN_CONTEXT("folder role", "archive");
    if (role == "all") return wxGETTEXT_IN_CONTEXT("folder role", "all mail");
    if (role == "flagged") return wxGETTEXT_IN_CONTEXT("folder role", "flagged");
    return u8(role);
}

// INBOX is case-insensitive (RFC 3501 section 5.1); every other name is exact.
bool same_folder(const std::string& a, const std::string& b) {
    auto upper = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return s;
    };
    return a == b || (upper(a) == "INBOX" && upper(b) == "INBOX");
}

std::vector<std::string> split_names(const wxString& text) {
    std::vector<std::string> out;
    wxStringTokenizer tok(text, ",");
    while (tok.HasMoreTokens()) {
        wxString t = tok.GetNextToken();
        t.Trim(true).Trim(false);
        if (!t.empty()) out.push_back(to_u8(t));
    }
    return out;
}

}  // namespace

wxString folder_label(const RemoteFolder& folder) {
    wxString label = u8(folder.name);
    if (!folder.role.empty()) label += " (" + role_text(folder.role) + ")";
    return label;
}

FolderPicker::FolderPicker(wxWindow* parent, std::function<void()> changed)
    : wxPanel(parent), changed_(std::move(changed)) {
    const int wrap = FromDIP(560);
    auto* top = new wxBoxSizer(wxVERTICAL);
    top->Add(bold_heading(this, _("IMAP folders")));

    // The three choices on the left, the list beside them.
    auto* columns = new wxBoxSizer(wxHORIZONTAL);
    auto* kinds = new wxBoxSizer(wxVERTICAL);
    inbox_ = new wxRadioButton(this, wxID_ANY, _("&Inbox only"), wxDefaultPosition, wxDefaultSize, wxRB_GROUP);
    named_ = new wxRadioButton(this, wxID_ANY, _("These f&olders:"));
    all_ = new wxRadioButton(this, wxID_ANY, _("&All folders"));
    for (auto* r : {inbox_, named_, all_}) kinds->Add(r, wxSizerFlags().Border(wxTOP, FromDIP(2)));
    columns->Add(kinds);
    auto* picked = new wxBoxSizer(wxVERTICAL);
    // A fixed size: a long name or many folders scroll, the page stays put.
    list_ = new wxCheckListBox(this, wxID_ANY, wxDefaultPosition, FromDIP(wxSize(240, 84)));
    picked->Add(list_, wxSizerFlags().Expand());
    auto* others_row = new wxBoxSizer(wxHORIZONTAL);
    others_label_ = new wxStaticText(this, wxID_ANY, _("O&ther folders:"));
    others_ = new wxTextCtrl(this, wxID_ANY);
    others_->SetHint(_("Spam, Archive/2024"));
    others_row->Add(others_label_, wxSizerFlags().CenterVertical());
    others_row->Add(others_, wxSizerFlags(1).CenterVertical().Border(wxLEFT, FromDIP(6)));
    picked->Add(others_row, wxSizerFlags().Expand().Border(wxTOP, FromDIP(4)));
    columns->Add(picked, wxSizerFlags(1).Expand().Border(wxLEFT, FromDIP(8)));
    top->Add(columns, wxSizerFlags().Expand().Border(wxTOP, FromDIP(2)));
    note_ = new wxStaticText(this, wxID_ANY, wxString());
    note_->SetForegroundColour(wxColour(0x55, 0x5b, 0x61));
    top->Add(note_, wxSizerFlags().Border(wxTOP, FromDIP(2)));

    idle_ = new wxCheckBox(this, wxID_ANY, _("&Push: fetch new mail within seconds (IMAP IDLE)"));
    top->Add(idle_, wxSizerFlags().Border(wxTOP, FromDIP(4)));

    auto* delivery_row = new wxBoxSizer(wxHORIZONTAL);
    delivery_label_ = new wxStaticText(this, wxID_ANY, _("Fo&lders at the office:"));
    delivery_ = new wxChoice(this, wxID_ANY);
    delivery_->Append(_("Deliver everything to the same address"));
    delivery_->Append(_("Add a header naming the folder (X-MailPorter-Folder)"));
    delivery_->Append(_("Plus-address by folder (user+Folder@office)"));
    delivery_->SetSelection(0);
    delivery_row->Add(delivery_label_, wxSizerFlags().CenterVertical());
    delivery_row->Add(delivery_, wxSizerFlags().CenterVertical().Border(wxLEFT, FromDIP(6)));
    top->Add(delivery_row, wxSizerFlags().Border(wxTOP, FromDIP(4)));
    delivery_hint_ =
        hint(this, _("The office server's rules (Sieve, Exchange) can then file each folder's mail."), wrap);
    top->Add(delivery_hint_, wxSizerFlags().Border(wxTOP, FromDIP(2)));
    SetSizer(top);

    auto edited = [this](wxCommandEvent&) {
        update();
        if (changed_) changed_();
    };
    for (auto* r : {inbox_, named_, all_}) r->Bind(wxEVT_RADIOBUTTON, edited);
    list_->Bind(wxEVT_CHECKLISTBOX, edited);
    others_->Bind(wxEVT_TEXT, edited);
    idle_->Bind(wxEVT_CHECKBOX, edited);
    delivery_->Bind(wxEVT_CHOICE, edited);
    inbox_->SetValue(true);
    update();
}

void FolderPicker::update() {
    for (wxWindow* w : std::initializer_list<wxWindow*>{inbox_, named_, all_, idle_, delivery_label_, delivery_})
        w->Enable(imap_);
    const bool named = imap_ && named_->GetValue();
    for (wxWindow* w : std::initializer_list<wxWindow*>{list_, others_label_, others_}) w->Enable(named);
    wxString note;
    if (!imap_)
        note = _("A POP3 mailbox has only an inbox.");
    else if (listed_.empty())
        note = _("Test login on the first page lists the server's folders.");
    else
        note = wxString::Format(wxPLURAL("The last Test login found %d folder.",
                                         "The last Test login found %d folders.", static_cast<int>(listed_.size())),
                                static_cast<int>(listed_.size()));
    if (note_->GetLabel() != note) {
        note_->SetLabel(note);
        note_->Wrap(FromDIP(560));
    }
    Layout();
}

void FolderPicker::set_imap(bool imap) {
    imap_ = imap;
    update();
}

void FolderPicker::set_server_folders(const std::vector<RemoteFolder>& folders) {
    std::vector<std::string> names;
    names.reserve(folders.size());
    for (const auto& f : folders) names.push_back(f.name);
    if (names == listed_) return;
    const std::vector<std::string> keep = chosen();
    listed_ = names;
    list_->Clear();
    for (const auto& f : folders) list_->Append(folder_label(f));
    show_chosen(keep);
    update();
}

std::vector<std::string> FolderPicker::chosen() const {
    std::vector<std::string> out;
    auto add = [&out](const std::string& name) {
        if (std::none_of(out.begin(), out.end(), [&](const std::string& n) { return same_folder(n, name); }))
            out.push_back(name);
    };
    for (std::size_t i = 0; i < listed_.size(); ++i)
        if (list_->IsChecked(static_cast<unsigned>(i))) add(listed_[i]);
    for (const auto& n : split_names(others_->GetValue())) add(n);
    return out;
}

void FolderPicker::show_chosen(const std::vector<std::string>& names) {
    wxString typed;
    for (std::size_t i = 0; i < listed_.size(); ++i) list_->Check(static_cast<unsigned>(i), false);
    for (const auto& n : names) {
        const auto it =
            std::find_if(listed_.begin(), listed_.end(), [&](const std::string& l) { return same_folder(l, n); });
        if (it != listed_.end())
            list_->Check(static_cast<unsigned>(it - listed_.begin()), true);
        else
            typed += (typed.empty() ? "" : ", ") + u8(n);
    }
    others_->ChangeValue(typed);
}

void FolderPicker::fill(const Account& a) {
    const FolderChoice f = folders_of(a);
    inbox_->SetValue(f.kind == FolderChoice::Kind::Inbox);
    named_->SetValue(f.kind == FolderChoice::Kind::Named);
    all_->SetValue(f.kind == FolderChoice::Kind::All);
    show_chosen(f.names);
    idle_->SetValue(idle_of(a));
    const FolderDelivery d = folder_delivery_of(a);
    for (int i = 0; i < 3; ++i)
        if (Deliveries[i] == d) delivery_->SetSelection(i);
    update();
}

void FolderPicker::collect(Account& a) const {
    FolderChoice f;
    if (named_->GetValue()) {
        f.kind = FolderChoice::Kind::Named;
        f.names = chosen();
    } else if (all_->GetValue()) {
        f.kind = FolderChoice::Kind::All;
    }
    set_folders(a, f);
    set_idle(a, idle_->GetValue());
    const int d = delivery_->GetSelection();
    set_folder_delivery(a, d >= 0 && d < 3 ? Deliveries[d] : FolderDelivery::One);
}

wxString FolderPicker::problem() const {
    if (imap_ && named_->GetValue() && chosen().empty())
        return listed_.empty() ? _("Enter at least one folder name, separated by commas.")
                               : _("Tick at least one folder, or type its name.");
    return {};
}

}  // namespace mailporter::app
