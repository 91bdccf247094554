#include "signin_dialog.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>

#include <wx/colour.h>

#include <wx/button.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/utils.h>

#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/signin.h"

#include "status_text.h"
#include "ui_parts.h"

namespace mailporter::app {

namespace {

// As long as the CLI waits by default.
constexpr std::chrono::seconds WaitLimit{600};

}  // namespace

bool open_in_browser(const std::string& url) {
    // The same as mailporter-cli: $BROWSER is a program, the URL its one
    // argument (no shell: the URL is never parsed).
    if (const char* b = std::getenv("BROWSER"); b && *b) {
        const char* argv[] = {b, url.c_str(), nullptr};
        return wxExecute(argv, wxEXEC_ASYNC) > 0;
    }
    return wxLaunchDefaultBrowser(wxString::FromUTF8(url));
}

SigninTarget signin_target(const Account& account, const std::string& stored_name) {
    SigninTarget t{account.name,
                   account.oauth,
                   oauth_service(account.protocol),
                   account.user,
                   account_secret_key(stored_name.empty() ? account.name : stored_name),
                   nullptr};
    t.save = [account](SecretStore& store, const oauth::Tokens& tokens, const std::string& secret) {
        return store_grant(store, account, tokens, secret);
    };
    return t;
}

SigninTarget signin_target(const OfficeServer& server) {
    SigninTarget t{to_u8(_("Office server")),    server.oauth, oauth::Service::Smtp, server.user,
                   std::string(OfficeSecretKey), nullptr};
    t.save = [server](SecretStore& store, const oauth::Tokens& tokens, const std::string& secret) {
        return store_office_grant(store, server, tokens, secret);
    };
    return t;
}

// What the worker and the dialog share: the cancel flag, and the gate the
// worker posts through while the dialog is there.
struct SigninDialog::Shared {
    std::atomic<bool> cancelled{false};
    std::mutex mu;
    SigninDialog* dialog = nullptr;  // nullptr once the dialog is gone

    template <class F>
    void post(F fn) {
        std::lock_guard lock(mu);
        if (SigninDialog* d = dialog) d->CallAfter([d, fn = std::move(fn)]() mutable { fn(d); });
    }
};

SigninDialog::SigninDialog(wxWindow* parent, SigninTarget target, EngineBridge::SecretStoreFactory store, bool save,
                           std::string client_secret)
    : wxDialog(parent, wxID_ANY, _("Sign in"), wxDefaultPosition, wxDefaultSize,
               wxDEFAULT_DIALOG_STYLE | wxRESIZE_BORDER),
      target_(std::move(target)),
      store_(std::move(store)),
      save_(save),
      client_secret_(std::move(client_secret)),
      shared_(std::make_shared<Shared>()) {
    shared_->dialog = this;
    const bool app_only = target_.oauth.app_only;
    auto* top = new wxBoxSizer(wxVERTICAL);
    top->Add(bold_heading(this, wxString::Format(_("Sign in to %s"), wxString::FromUTF8(target_.name))),
             wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    top->Add(hint(this,
                  app_only ? _("App-only access: MailPorter asks Microsoft for a token with the application's "
                               "client secret or certificate. No person signs in.")
                           : _("Your browser opens the sign-in page of the mail provider. Sign in there and allow "
                               "MailPorter to read your mail; then come back here."),
                  FromDIP(420)),
             wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    state_ = new wxStaticText(this, wxID_ANY, app_only ? _("Asking for a token...") : _("Opening the sign-in page..."));
    top->Add(state_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));
    auto* copy_hint = new wxStaticText(this, wxID_ANY, _("If the browser did not open, copy this address into it:"));
    top->Add(copy_hint, wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    address_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(420, -1)), wxTE_READONLY);
    top->Add(address_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));
    copy_hint->Show(!app_only);
    address_->Show(!app_only);
    auto* buttons = new wxBoxSizer(wxHORIZONTAL);
    buttons->AddStretchSpacer();
    cancel_ = new wxButton(this, wxID_CANCEL, _("&Cancel"));
    buttons->Add(cancel_);
    top->Add(buttons, wxSizerFlags().Expand().Border());
    SetSizerAndFit(top);
    SetEscapeId(wxID_NONE);
    cancel_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (running_)
            cancel();
        else
            EndModal(tokens_ ? wxID_OK : wxID_CANCEL);
    });
    Bind(wxEVT_CLOSE_WINDOW, [this](wxCloseEvent&) {
        if (running_)
            cancel();
        else
            EndModal(tokens_ ? wxID_OK : wxID_CANCEL);
    });
}

SigninDialog::~SigninDialog() {
    shared_->cancelled = true;
    std::lock_guard lock(shared_->mu);
    shared_->dialog = nullptr;
}

void SigninDialog::cancel() {
    shared_->cancelled = true;
    running_ = false;
    if (IsModal()) EndModal(wxID_CANCEL);
}

bool SigninDialog::run() {
    running_ = true;
    std::thread([shared = shared_, target = target_, store = store_, save = save_, typed = client_secret_] {
        auto provider = oauth_provider(target.oauth);
        const oauth::HttpOptions http;
        auto fail = [&](const Error& e) { shared->post([e](SigninDialog* d) { d->finished(std::nullopt, {}, e); }); };
        std::unique_ptr<SecretStore> secrets;
        std::string secret = typed;
        if (store) {
            auto opened = store();
            if (!opened) {
                if (save) return fail(opened.error());
            } else {
                secrets = std::move(*opened);
                // A client secret kept with the old grant serves the new one.
                if (secret.empty())
                    if (auto old = secrets->load(target.stored_key); old && *old)
                        if (auto grant = oauth::parse_secret(**old)) secret = grant->client_secret;
            }
        }
        auto endpoints = oauth::endpoints_for(provider, http);
        if (!endpoints) return fail(endpoints.error());
        Result<oauth::Tokens> tokens = oauth::Tokens{};
        if (target.oauth.app_only) {
            if (secret.empty())
                return fail(make_error(Errc::SecretMissing, "no client secret or certificate was given",
                                       ErrorScope::Account, Retry::Never));
            tokens = oauth::client_credentials(*endpoints, provider, secret, target.service, http);
        } else {
            provider.client_secret = secret;
            auto signin = oauth::BrowserSignin::open(*endpoints, provider, target.service, target.login_hint, http);
            if (!signin) return fail(signin.error());
            shared->post([url = signin->authorize_url()](SigninDialog* d) { d->opened(url); });
            tokens = signin->wait(WaitLimit, [shared] { return shared->cancelled.load(); });
        }
        if (!tokens) return fail(tokens.error());
        if (save && secrets && !shared->cancelled)
            if (auto r = target.save(*secrets, *tokens, secret); !r) return fail(r.error());
        shared->post([t = *tokens, secret](SigninDialog* d) { d->finished(t, secret, std::nullopt); });
    }).detach();
    return ShowModal() == wxID_OK;
}

void SigninDialog::opened(const std::string& url) {
    url_ = url;
    address_->ChangeValue(wxString::FromUTF8(url));
    const bool launched = open_in_browser(url);
    state_->SetLabel(launched ? _("Waiting for the browser...")
                              : _("No browser could be started. Open the address below in a browser."));
    Layout();
}

void SigninDialog::finished(std::optional<oauth::Tokens> tokens, std::string client_secret,
                            std::optional<Error> error) {
    if (!running_) return;  // cancelled meanwhile
    running_ = false;
    if (tokens) {
        tokens_ = std::move(tokens);
        client_secret_ = std::move(client_secret);
        if (IsModal()) EndModal(wxID_OK);
        return;
    }
    if (error->code == Errc::Cancelled)
        problem_ = _("The sign-in was refused or cancelled in the browser. Nothing was changed.");
    else if (error->code == Errc::Timeout)
        problem_ = _("The browser did not come back within 10 minutes. Nothing was changed; try again.");
    else
        problem_ = _("The sign-in did not work:") + " " + describe(*error);
    state_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
    state_->SetLabel(problem_);
    state_->Wrap(FromDIP(420));
    cancel_->SetLabel(_("&Close"));
    Fit();
}

}  // namespace mailporter::app
