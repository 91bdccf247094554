// The self-test scenario "signin": an OAuth2 account whose grant the
// provider withdrew shows red with "Sign in again"; pressing it runs the
// browser sign-in ($BROWSER: the test's stand-in, which follows the
// provider's redirect back to the app), stores the grant, and the check
// that follows turns the row green and delivers the waiting mail. Then the
// wizard edits it (sign in again, Test login, Finish); a new OAuth2 account
// is added through the wizard (Microsoft's app-only fields shown on the
// way), and the office server's dialog signs its SMTP login in and tests it.

#include <cstdlib>
#include <memory>

#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/filepicker.h>
#include <wx/listctrl.h>
#include <wx/textctrl.h>

#include "mailporter/oauth.h"

#include "account_wizard.h"
#include "app.h"
#include "diagnosis_view.h"
#include "office_dialog.h"
#include "office_panel.h"
#include "self_test.h"
#include "signin_dialog.h"
#include "status_frame.h"
#include "status_text.h"
#include "wizard_signin.h"

namespace mailporter::app {

namespace {

std::string env_value(const char* name, const std::string& fallback = {}) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

int row_light(StatusFrame* frame, const std::string& name) {
    auto* list = frame->accounts_list();
    for (long i = 0; i < list->GetItemCount(); ++i) {
        if (to_u8(list->GetItemText(i, 0)) != name) continue;
        wxListItem item;
        item.SetId(i);
        item.SetColumn(0);
        item.SetMask(wxLIST_MASK_IMAGE);
        return list->GetItem(item) ? item.GetImage() : -1;
    }
    return -1;
}

}  // namespace

void SelfTest::build_signin() {
    const std::string name = env_value("MAILPORTER_SELFTEST_ACCOUNT", "oauth-box");
    const int expect = std::atoi(env_value("MAILPORTER_SELFTEST_EXPECT_DELIVERED", "1").c_str());
    auto frame = [this]() -> wxWindow* { return app_.frame(); };

    act("the revoked account", [this, name] {
        const auto* row = app_.model().find(name);
        check(row != nullptr, "account " + name + " is listed");
        if (!row) return;
        say("row " + name + " code=" + std::string(to_string(row->code)) + " state=\"" + to_u8(row->sentence) + "\"");
        check(row->code == StatusCode::SignInNeeded, "its state is sign-in-needed");
        check(row->next.kind == EngineBridge::NextCheck::Kind::AfterSignIn,
              "its next check is \"" + to_u8(next_check_text(row->next)) + "\" (after you sign in again)");
        check(row_light(app_.frame(), name) == static_cast<int>(Light::Red), "its row shows the red envelope");
        auto* button = app_.frame()->signin_button();
        check(button->IsShown(), "the status window offers Sign in again");
        check(app_.frame()->signin_target() == name, "Sign in again acts on " + name);
        app_.frame()->select_account(name);
    });
    screenshot("signin-1-red-row.png", frame);
    check_layout("the status window with Sign in again", frame);

    act("start the engine", [this] { app_.bridge()->start(); });
    add(
        "the engine runs", [this] { return app_.bridge()->engine_running(); }, 20000);
    add(
        "the engine's first check ends", [this] { return passes_ > 0 && !app_.bridge()->busy(); }, 60000);
    act("still red", [this, name] {
        const auto* row = app_.model().find(name);
        check(row && row->code == StatusCode::SignInNeeded, "the engine's own check says sign-in-needed too");
        check(row && row->next.kind == EngineBridge::NextCheck::Kind::AfterSignIn,
              "the engine waits for a new sign-in, not for an edit");
        check(app_.frame()->signin_button()->IsShown(), "Sign in again is still offered");
    });
    auto before = std::make_shared<int>(0);
    act("press Sign in again", [this, before] {
        *before = delivered_;
        // From the event loop: the sign-in dialog is modal.
        app_.CallAfter([this] {
            auto* button = app_.frame()->signin_button();
            wxCommandEvent e(wxEVT_BUTTON, button->GetId());
            e.SetEventObject(button);
            button->ProcessWindowEvent(e);
        });
    });
    add(
        "the sign-in dialog shows", [this] { return app_.current_signin() != nullptr; }, 10000);
    act("waiting for the browser", [this] { say("sign-in dialog open: " + to_u8(app_.current_signin()->GetTitle())); });
    add(
        "the browser comes back and the dialog closes", [this] { return app_.current_signin() == nullptr; }, 60000);
    add(
        "the mail is delivered",
        [this, before, expect] { return delivered_ - *before >= expect && !app_.bridge()->busy(); }, 90000);
    act("green again", [this, name, before] {
        const auto* row = app_.model().find(name);
        say("row " + name + " code=" + (row ? std::string(to_string(row->code)) : "?") + " delivered " +
            std::to_string(delivered_ - *before));
        check(row && row->light == Light::Green, "the row is green after signing in again");
        check(row_light(app_.frame(), name) == static_cast<int>(Light::Green), "its row shows the green envelope");
        check(!app_.frame()->signin_button()->IsShown(), "Sign in again is no longer offered");
    });
    screenshot("signin-2-green.png", frame);

    // The wizard on the same account: "Sign in with" shows the provider, the
    // grant is kept; signing in again there, Test login with the fresh
    // token, and Finish storing the new grant.
    auto wizard = [this] { return app_.current_wizard(); };
    auto top = [wizard]() -> wxWindow* { return wizard(); };
    act("open the wizard", [this, name] { app_.CallAfter([this, name] { app_.modify_account(name); }); });
    add("the wizard shows", [wizard] { return wizard() && wizard()->IsShown(); });
    act("the sign-in fields", [this, wizard] {
        auto& page = wizard()->server();
        check(page.signin().uses_oauth(), "the wizard shows an OAuth2 account");
        check(page.signin().method()->GetSelection() == 3, "Sign in with: Other (authorization server URL)");
        check(page.signin().grant_kept(), "the stored sign-in is kept");
        check(page.signin().signin_button()->IsShown(), "the wizard offers Sign in...");
        check(page.problem().empty(), "page 1 is complete without a password: \"" + to_u8(page.problem()) + "\"");
    });
    screenshot("wizard-signin.png", top);
    check_layout("the wizard's server page with Sign in with", top);
    act("press Sign in...", [this, wizard] { app_.CallAfter([wizard] { wizard()->server().sign_in(); }); });
    add(
        "the browser signs in",
        [wizard] {
            return wizard() && !wizard()->server().signin_dialog() && wizard()->server().signin().tokens().has_value();
        },
        60000);
    act("Test login with the new token", [wizard] { wizard()->server().test_login(); });
    add(
        "the test ends", [wizard] { return !wizard()->server().diagnosis().running(); }, 60000);
    act("tested", [this, wizard] {
        const auto& d = wizard()->server().diagnosis();
        if (d.result())
            for (const auto& st : d.result()->steps)
                say(std::string("  step ") + (st.ok ? "ok " : "FAILED ") + st.name + ": " + st.detail);
        check(d.result() && d.result()->ok(), "Test login works with the fresh access token");
    });
    screenshot("wizard-signin-tested.png", top);
    act("next", [wizard] { wizard()->press_next(); });
    add("page 2", [wizard] { return wizard()->GetCurrentPage() == &wizard()->type(); });
    act("next", [wizard] { wizard()->press_next(); });
    add("page 3", [wizard] { return wizard()->GetCurrentPage() == &wizard()->leave(); });
    act("next", [wizard] { wizard()->press_next(); });
    add("page 4", [wizard] { return wizard()->GetCurrentPage() == &wizard()->summary(); });
    add(
        "the office server answers", [wizard] { return !wizard()->summary().verifying(); }, 60000);
    act("summary", [this, wizard] {
        const std::string text = to_u8(wizard()->summary().text());
        check(text.find("OAuth2") != std::string::npos, "the summary says the account signs in with OAuth2");
    });
    check_layout("the summary of an OAuth2 account", top);
    auto passes_before = std::make_shared<int>(0);
    act("finish", [this, wizard, passes_before] {
        *passes_before = passes_;
        wizard()->press_next();
    });
    add("the wizard closes", [wizard] { return wizard() == nullptr; });
    add(
        "the engine checks the edited account",
        [this, passes_before] { return passes_ > *passes_before && !app_.bridge()->busy(); }, 90000);
    act("the new grant", [this, name] {
        {
            auto stored = app_.workspace().account_secret(name);
            auto grant = stored && *stored ? oauth::parse_secret(**stored) : Result<oauth::TokenSecret>(Error{});
            check(grant && !grant->tokens.refresh_token.empty(), "the secret store holds a grant (not a password)");
        }
        const auto* row = app_.model().find(name);
        check(row && row->light == Light::Green, "the account is still green after the edit");
    });
    build_signin_new_account(wizard, top);
    build_signin_office();
}

// A new OAuth2 account through the wizard: Microsoft's app-only fields on
// the way, then "Other" with the bed's authorization server, the browser
// sign-in, Test login, Finish, and its mail delivered.
void SelfTest::build_signin_new_account(const std::function<AccountWizard*()>& wizard,
                                        const std::function<wxWindow*()>& top) {
    const std::string url = env_value("MAILPORTER_SELFTEST_OAUTH_URL");
    const int imaps = std::atoi(env_value("MAILPORTER_SELFTEST_IMAPS_PORT", "0").c_str());
    if (url.empty() || imaps == 0) return;
    act("add an account", [this] { app_.CallAfter([this] { app_.add_account(); }); });
    add("the wizard shows", [wizard] { return wizard() && wizard()->IsShown(); });
    act("Microsoft, app-only", [this, wizard] {
        auto& page = wizard()->server();
        Account a;
        a.name = "oauth-new";
        a.protocol = Protocol::Imap;
        a.host = "outlook.office365.com";
        a.user = "info@contoso.example";
        a.oauth.provider = "microsoft";
        a.oauth.tenant = "contoso.example";
        a.oauth.client_id = "00000000-0000-0000-0000-00000000abcd";
        a.oauth.app_only = true;
        page.fill(a, "");
        auto& f = page.signin();
        check(f.method()->GetSelection() == 1, "Sign in with: Microsoft");
        check(f.app_only()->IsShown() && f.app_only()->GetValue(), "App-only access is offered and ticked");
        check(f.secret()->IsShown(), "a client secret can be entered");
        check(f.certificate()->IsShown(), "or a certificate file chosen");
        check(to_u8(f.signin_button()->GetLabelText()).find("token") != std::string::npos,
              "the button gets a token: \"" + to_u8(f.signin_button()->GetLabelText()) + "\"");
        check(to_u8(page.problem()).find("certificate") != std::string::npos,
              "without a secret the page asks for one: \"" + to_u8(page.problem()) + "\"");
        f.secret()->SetValue("a-client-secret");
        check(to_u8(page.problem()).find("oken") != std::string::npos,
              "with a secret it asks for a token: \"" + to_u8(page.problem()) + "\"");
    });
    screenshot("wizard-app-only.png", top);
    check_layout("the wizard's app-only fields", top);
    act("Other: the bed's authorization server", [this, wizard, url, imaps] {
        auto& page = wizard()->server();
        Account a;
        a.name = "oauth-new";
        a.protocol = Protocol::Imap;
        a.host = "localhost";
        a.port = static_cast<std::uint16_t>(imaps);
        a.tls.mode = TlsMode::Implicit;
        a.user = "bob";
        a.oauth.provider = url;
        a.oauth.client_id = "mailporter-test";
        page.fill(a, "");
        auto& f = page.signin();
        check(f.method()->GetSelection() == 3, "Sign in with: Other");
        check(!f.app_only()->IsShown() && !f.certificate()->IsShown(), "no app-only fields for Other");
        check(!f.grant_kept() && !f.tokens(), "a new account is not signed in");
        check(!page.problem().empty(), "page 1 asks for the sign-in: \"" + to_u8(page.problem()) + "\"");
    });
    act("press Sign in...", [this, wizard] { app_.CallAfter([wizard] { wizard()->server().sign_in(); }); });
    add(
        "the browser signs in",
        [wizard] {
            return wizard() && !wizard()->server().signin_dialog() && wizard()->server().signin().tokens().has_value();
        },
        60000);
    act("Test login", [wizard] { wizard()->server().test_login(); });
    add(
        "the test ends", [wizard] { return !wizard()->server().diagnosis().running(); }, 60000);
    act("tested", [this, wizard] {
        const auto& d = wizard()->server().diagnosis();
        if (d.result())
            for (const auto& st : d.result()->steps)
                say(std::string("  step ") + (st.ok ? "ok " : "FAILED ") + st.name + ": " + st.detail);
        check(d.result() && d.result()->ok(), "Test login of the new account works with its access token");
        check(d.result() && !d.result()->steps.empty() && d.result()->steps.front().name == "sign-in",
              "Test login shows the sign-in as its first step");
        check(wizard()->server().problem().empty(), "page 1 is complete");
    });
    screenshot("wizard-new-oauth.png", top);
    act("next", [wizard] { wizard()->press_next(); });
    add("page 2", [wizard] { return wizard()->GetCurrentPage() == &wizard()->type(); });
    act("deliver to bob", [wizard] {
        Account a;
        a.deliver_to = "bob@office.test";
        wizard()->type().fill(a);
        wizard()->press_next();
    });
    add("page 3", [wizard] { return wizard()->GetCurrentPage() == &wizard()->leave(); });
    act("next", [wizard] { wizard()->press_next(); });
    add("page 4", [wizard] { return wizard()->GetCurrentPage() == &wizard()->summary(); });
    add(
        "the office server answers", [wizard] { return !wizard()->summary().verifying(); }, 60000);
    auto before = std::make_shared<int>(0);
    act("finish", [this, wizard, before] {
        *before = delivered_;
        wizard()->press_next();
    });
    add("the wizard closes", [wizard] { return wizard() == nullptr; });
    add(
        "the new account's mail is delivered",
        [this, before] { return delivered_ > *before && !app_.bridge()->busy(); }, 90000);
    act("the new account", [this] {
        const auto* row = app_.model().find("oauth-new");
        check(row != nullptr, "oauth-new is listed");
        check(row && row->account.uses_oauth(), "it signs in with OAuth2");
        check(row && row->light == Light::Green, "its row is green");
        {
            auto stored = app_.workspace().account_secret("oauth-new");
            auto grant = stored && *stored ? oauth::parse_secret(**stored) : Result<oauth::TokenSecret>(Error{});
            check(grant && !grant->tokens.refresh_token.empty(), "Finish stored its grant");
        }
    });
}

// The office server's login signed in with OAuth2 in its dialog (Postfix's
// submission port, Dovecot checking the token), tested, then cancelled.
void SelfTest::build_signin_office() {
    const std::string url = env_value("MAILPORTER_SELFTEST_OAUTH_URL");
    const int port = std::atoi(env_value("MAILPORTER_SELFTEST_SUBMISSION_PORT", "0").c_str());
    if (url.empty() || port == 0) return;
    auto office = [this] { return app_.current_office(); };
    auto top = [office]() -> wxWindow* { return office(); };
    act("open the office server", [this] { app_.CallAfter([this] { app_.edit_office(); }); });
    add("the office dialog shows", [office] { return office() && office()->IsShown(); });
    act("an OAuth2 login", [this, office, url, port] {
        OfficeServer s;
        s.host = "localhost";
        s.port = static_cast<std::uint16_t>(port);
        s.tls.mode = TlsMode::StartTls;
        s.user = "alice";
        s.oauth.provider = url;
        s.oauth.client_id = "mailporter-test";
        office()->fill(s, "");
        auto& f = office()->panel().signin();
        check(f.uses_oauth() && f.signin_button()->IsShown(), "the office login offers Sign in...");
        check(!office()->problem().empty(), "not signed in yet: \"" + to_u8(office()->problem()) + "\"");
    });
    act("press Sign in...", [this, office] { app_.CallAfter([office] { office()->panel().sign_in(); }); });
    add(
        "the browser signs the office login in", [office] { return office() && office()->panel().signin().tokens(); },
        60000);
    act("Test", [office] { office()->test(); });
    add(
        "the office test ends", [office] { return !office()->diagnosis().running(); }, 60000);
    act("the office login works", [this, office] {
        const auto& d = office()->diagnosis();
        if (d.result())
            for (const auto& st : d.result()->steps)
                say(std::string("  step ") + (st.ok ? "ok " : "FAILED ") + st.name + ": " + st.detail);
        check(d.result() && d.result()->ok(), "SMTP AUTH with the office login's access token works");
        check(office()->problem().empty(), "the dialog is complete: \"" + to_u8(office()->problem()) + "\"");
        const auto pw = office()->password_to_store();
        check(pw && oauth::parse_secret(*pw), "OK would store a grant, not a password");
        check(office()->server().uses_oauth(), "OK would keep the OAuth2 settings");
    });
    screenshot("office-signin.png", top);
    check_layout("the office dialog with an OAuth2 login", top);
    act("cancel", [office] { office()->EndModal(wxID_CANCEL); });
    add("the office dialog closes", [office] { return office() == nullptr; });
}

}  // namespace mailporter::app
