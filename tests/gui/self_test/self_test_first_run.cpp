// The self-test scenario "firstrun": from an empty data folder to the first
// delivered message through the first-run assistant, typing only what a
// user types (the office server, then an address and a password), with
// autodetect against the test bed. Timed.

#include <cstdlib>

#include <wx/button.h>

#include "app.h"
#include "diagnosis_view.h"
#include "first_run.h"
#include "office_panel.h"
#include "self_test.h"
#include "status_frame.h"
#include "status_text.h"

namespace mailporter::app {

namespace {
std::string env_or(const char* name, const std::string& fallback = {}) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
}  // namespace

void SelfTest::build_first_run() {
    const int smtp_port = std::atoi(env_or("MAILPORTER_SELFTEST_SMTP_PORT", "0").c_str());
    const std::string address = env_or("MAILPORTER_SELFTEST_ADDRESS");
    const std::string password = env_or("MAILPORTER_SELFTEST_PASSWORD");
    const std::string deliver_to = env_or("MAILPORTER_SELFTEST_DELIVER_TO");
    const std::string refused = env_or("MAILPORTER_SELFTEST_REFUSED_ADDRESS");
    const int expect = std::atoi(env_or("MAILPORTER_SELFTEST_EXPECT_DELIVERED", "1").c_str());
    auto assistant = [this] { return app_.current_first_run(); };
    auto top = [assistant]() -> wxWindow* { return assistant(); };

    act("start the engine", [this] { app_.bridge()->start(); });
    add(
        "the engine runs", [this] { return app_.bridge()->engine_running(); }, 20000);
    act("nothing configured", [this] {
        check(app_.needs_first_run(), "an empty data folder asks for the first-run assistant");
        app_.CallAfter([this] { app_.first_run(); });
    });
    add("the assistant shows", [assistant] { return assistant() && assistant()->IsShown(); });
    screenshot("firstrun-1-office.png", top);
    check_layout("the assistant's first page", top);

    act("the office server", [assistant, smtp_port] {
        OfficeServer s;
        s.host = "127.0.0.1";
        s.port = static_cast<std::uint16_t>(smtp_port);
        s.tls.mode = TlsMode::None;
        assistant()->office().panel().fill(s, "");
        assistant()->office().panel().test();
    });
    add(
        "the office test ends", [assistant] { return !assistant()->office().panel().diagnosis().running(); }, 60000);
    act("office tested", [this, assistant] {
        const auto& d = assistant()->office().panel().diagnosis();
        const std::string sentence = to_u8(d.sentence());
        say("office test: \"" + sentence + "\"");
        check(d.result() && d.result()->ok(), "the office server's Test works");
        check(sentence.find("log in") == std::string::npos, "without a login, the Test does not claim a login");
    });
    screenshot("firstrun-1-office-tested.png", top);
    check_layout("the tested office server", top);
    act("next", [assistant] { assistant()->press_next(); });
    add("step 2", [assistant] { return assistant()->GetCurrentPage() == &assistant()->mailbox(); });
    screenshot("firstrun-2-empty.png", top);
    check_layout("the empty mailbox page", top);

    // A provider whose certificate this computer does not trust: shown with
    // its fingerprint, nothing goes on until the user trusts exactly it.
    const std::string selfsigned = env_or("MAILPORTER_SELFTEST_SELFSIGNED_ADDRESS");
    const std::string selfsigned_sha = env_or("MAILPORTER_SELFTEST_SELFSIGNED_SHA256");
    if (!selfsigned.empty()) {
        act("an untrusted provider", [assistant, selfsigned, password, deliver_to] {
            assistant()->mailbox().fill(selfsigned, password, deliver_to);
            assistant()->mailbox().find_settings();
        });
        add(
            "found with its certificate", [assistant] { return !assistant()->mailbox().busy(); }, 90000);
        act("untrusted", [this, assistant, selfsigned_sha] {
            auto& m = assistant()->mailbox();
            say("untrusted: \"" + to_u8(m.found_text()) + "\"");
            const auto& d = m.detection();
            check(d && d->best && d->best->certificate && d->best->certificate->sha256 == selfsigned_sha,
                  "autodetect reports the server's own fingerprint");
            check(!m.problem().empty() && !assistant()->FindWindow(wxID_FORWARD)->IsEnabled(),
                  "nothing goes on before the certificate is trusted: \"" + to_u8(m.problem()) + "\"");
            check(m.account().tls.pinned_sha256.empty(), "nothing is pinned before the user trusts it");
        });
        screenshot("firstrun-2-untrusted-certificate.png", top);
        check_layout("the untrusted certificate on the mailbox page", top);
        act("trust it", [assistant] { assistant()->mailbox().set_trusted(true); });
        add(
            "the login with the pinned certificate", [assistant] { return !assistant()->mailbox().busy(); }, 60000);
        act("trusted", [this, assistant, selfsigned_sha] {
            auto& m = assistant()->mailbox();
            say("trusted: \"" + to_u8(m.found_text()) + "\"");
            check(m.detection() && m.detection()->best && m.detection()->best->logged_in,
                  "with the certificate trusted, the login works");
            check(m.account().tls.pinned_sha256 == selfsigned_sha, "the account pins exactly that certificate");
        });
    }

    // What the user types: an address, a password; a wrong office address first.
    act("address and password", [assistant, address, password, refused] {
        assistant()->mailbox().fill(address, password, refused);
        assistant()->mailbox().find_settings();
    });
    add(
        "the settings are found", [assistant] { return !assistant()->mailbox().busy(); }, 90000);
    act("found", [this, assistant] {
        auto& m = assistant()->mailbox();
        say("found: \"" + to_u8(m.found_text()) + "\"");
        say("office: \"" + to_u8(m.office_answer()) + "\"");
        const auto& d = m.detection();
        if (d)
            for (const auto& n : d->notes) say("  detect: " + n);
        check(d && d->best && d->best->logged_in, "autodetect finds the server and logs in");
        check(to_u8(m.found_text()).find("Logged in as") != std::string::npos, "the page says it logged in");
    });
    add(
        "the office answers about the address", [assistant] { return !assistant()->mailbox().busy(); }, 60000);
    act("refused address", [this, assistant, refused] {
        auto& m = assistant()->mailbox();
        const std::string said = to_u8(m.office_answer());
        say("office about " + refused + ": \"" + said + "\"");
        check(said.find("refuses") != std::string::npos, "the office server's refusal is shown before any mail flows");
        check(!assistant()->FindWindow(wxID_FORWARD)->IsEnabled(), "Next stays disabled for a refused address");
    });
    screenshot("firstrun-2-refused-address.png", top);
    act("the right address", [assistant, address, password, deliver_to] {
        assistant()->mailbox().fill(address, password, deliver_to);
        assistant()->mailbox().check_deliver_to();
    });
    add(
        "the office answers again", [assistant] { return !assistant()->mailbox().busy(); }, 60000);
    act("accepted address", [this, assistant] {
        auto& m = assistant()->mailbox();
        say("office: \"" + to_u8(m.office_answer()) + "\"");
        check(to_u8(m.office_answer()).find("accepts") != std::string::npos, "the office server accepts the address");
        check(m.problem().empty(), "the mailbox page is complete: \"" + to_u8(m.problem()) + "\"");
    });
    screenshot("firstrun-2-mailbox.png", top);
    check_layout("the filled mailbox page", top);
    act("next", [assistant] { assistant()->press_next(); });
    add("step 3", [assistant] { return assistant()->GetCurrentPage() == &assistant()->check(); });
    add(
        "the first check ends", [assistant] { return assistant()->check().finished(); }, 120000);
    act("outcome", [this, assistant, expect, deliver_to] {
        const std::string outcome = to_u8(assistant()->check().outcome());
        say("outcome: \"" + outcome + "\"");
        char figure[64];
        std::snprintf(figure, sizeof figure, "%.2f", assistant()->seconds_to_outcome());
        say(std::string("first run: from the assistant's first page to the outcome in ") + figure + " s");
        check(assistant()->check().succeeded(), "the first check works");
        const std::string want = "Delivered " + std::to_string(expect) + " message";
        check(outcome.find(want) != std::string::npos && outcome.find(deliver_to) != std::string::npos,
              "it ends on \"" + want + "(s) to " + deliver_to + "\"");
    });
    screenshot("firstrun-3-delivered.png", top);
    check_layout("the first check's outcome", top);
    act("finish", [assistant] { assistant()->press_next(); });
    add("the assistant closes", [assistant] { return assistant() == nullptr; });
    act("saved", [this, address] {
        auto accounts = app_.workspace().accounts();
        check(accounts && accounts->size() == 1, "one account is saved");
        if (accounts && !accounts->empty()) {
            const Account& a = accounts->front();
            say("saved: " + a.name + " " + std::string(a.protocol == Protocol::Imap ? "imap" : "pop3") + " " + a.host +
                ":" + std::to_string(a.port) + " user " + a.user);
            check(a.name == address, "named after its address");
        }
        auto office = app_.workspace().office_server();
        check(office && *office, "the office server is saved");
    });
    screenshot("firstrun-status.png", [this]() -> wxWindow* { return app_.frame(); });
}

}  // namespace mailporter::app
