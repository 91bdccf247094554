#pragma once
// FolderPicker: the IMAP part of the wizard's "After delivery" page — which
// folders an account fetches (the inbox; the folders ticked in the list the
// last Test login found, plus names typed for folders it did not list; or
// all of them), push (IDLE), and how each folder's mail reaches the office
// (Account::folder_delivery: the same address, a header naming the folder,
// or plus-addressing). All of it is greyed out for POP3. Main thread only.

#include <functional>
#include <string>
#include <vector>

#include <wx/panel.h>

#include "mailporter/config.h"
#include "mailporter/relay.h"

class wxCheckBox;
class wxCheckListBox;
class wxChoice;
class wxRadioButton;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

// A folder as the list shows it: its name, and its role in words when it
// has one ("Sent (sent)").
wxString folder_label(const RemoteFolder& folder);

class FolderPicker : public wxPanel {
public:
    // `changed` runs after every edit (the page checks itself again).
    FolderPicker(wxWindow* parent, std::function<void()> changed);

    // IMAP or POP3 (page 1's choice): enables the controls, says why not.
    void set_imap(bool imap);
    // The server's folders from the last Test login (empty: no test, or
    // none found). What is chosen stays chosen: ticked when listed, typed
    // when not.
    void set_server_folders(const std::vector<RemoteFolder>& folders);
    void fill(const Account& a);
    void collect(Account& a) const;
    // Empty when complete; else what is wrong, in words.
    wxString problem() const;

    // For tests (and a user's clicks through them).
    wxRadioButton* named_choice() const { return named_; }
    wxCheckListBox* list() const { return list_; }
    wxTextCtrl* other_names() const { return others_; }
    wxChoice* delivery() const { return delivery_; }
    wxStaticText* note() const { return note_; }
    // The listed folders' names, in the list's order.
    const std::vector<std::string>& listed() const { return listed_; }

private:
    void update();
    // Ticked and typed names, in that order, each once.
    std::vector<std::string> chosen() const;
    // Ticks the listed ones of `names`, types the others.
    void show_chosen(const std::vector<std::string>& names);

    std::function<void()> changed_;
    bool imap_ = false;
    std::vector<std::string> listed_;
    wxRadioButton* inbox_ = nullptr;
    wxRadioButton* named_ = nullptr;
    wxRadioButton* all_ = nullptr;
    wxCheckListBox* list_ = nullptr;
    wxStaticText* others_label_ = nullptr;
    wxTextCtrl* others_ = nullptr;
    wxStaticText* note_ = nullptr;
    wxCheckBox* idle_ = nullptr;
    wxStaticText* delivery_label_ = nullptr;
    wxChoice* delivery_ = nullptr;
    wxStaticText* delivery_hint_ = nullptr;
};

}  // namespace mailporter::app
