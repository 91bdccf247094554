// The IMAP session's mailbox commands: LIST, NAMESPACE (RFC 2342), NOTIFY
// SET (RFC 5465), STATUS and SELECT/EXAMINE.
#include <optional>
#include <utility>

#include "proto/imap_session.h"
#include "proto/imap_session_detail.h"
#include "proto/sanitize.h"

namespace mailporter::imap {
namespace {

using detail::has_flag;
using detail::protocol;
using detail::reply_text;
using detail::wrong_state;

}  // namespace

net::awaitable<Result<std::vector<MailboxInfo>>> Session::list(std::string reference, std::string pattern) {
    if (state_ != State::Authenticated && state_ != State::Selected) co_return wrong_state("list", state_);
    std::vector<MailboxInfo> out;
    const UntaggedHandler collect = [&out](const Response& r) -> Result<void> {
        if (r.data != Response::Data::List || !r.list) return {};
        MailboxInfo m;
        m.name = r.list->name;
        m.display = decode_mailbox_name(m.name).value_or(m.name);
        m.delimiter = r.list->delimiter;
        m.flags = r.list->flags;
        m.noselect = has_flag(m.flags, "\\Noselect") || has_flag(m.flags, "\\NonExistent");
        out.push_back(std::move(m));
        return {};
    };
    const std::vector<std::string> args{reference, pattern};
    const std::string verb = "LIST";
    const std::string shown = "LIST " + sanitize_for_log(reference, 200) + " " + sanitize_for_log(pattern, 200);
    auto t = co_await command_with_args(verb, args, shown, collect);
    if (!t) co_return std::move(t).error();
    if (t->status != Status::Ok)
        co_return make_error(Errc::MailboxUnavailable, "the server could not list the folders: " + reply_text(*t),
                             ErrorScope::Account, Retry::Later);
    co_return out;
}

net::awaitable<Result<NamespaceData>> Session::namespaces() {
    if (state_ != State::Authenticated && state_ != State::Selected) co_return wrong_state("namespace", state_);
    NamespaceData out;
    if (!caps_.namespaces) co_return out;
    const UntaggedHandler collect = [&out](const Response& r) -> Result<void> {
        if (r.data == Response::Data::Namespace && r.namespaces) out = *r.namespaces;
        return {};
    };
    const std::string line = "NAMESPACE";
    auto t = co_await command(line, collect);
    if (!t) co_return std::move(t).error();
    if (t->status != Status::Ok) co_return NamespaceData{};
    co_return out;
}

net::awaitable<Result<Selection>> Session::find_folders(std::vector<std::string> wanted) {
    if (wanted.empty() || (wanted.size() == 1 && wanted.front() == "INBOX")) {
        Selection inbox;
        inbox.folders.push_back({"INBOX", "INBOX", Role::Inbox});
        co_return inbox;
    }
    auto ns = co_await namespaces();
    if (!ns) co_return std::move(ns).error();
    auto listed = co_await list("", "*");
    if (!listed) co_return std::move(listed).error();
    co_return select_folders(wanted, *listed, naming_of(*ns, *listed));
}

net::awaitable<Result<void>> Session::notify_set(std::vector<std::string> mailboxes) {
    if (state_ != State::Authenticated && state_ != State::Selected) co_return wrong_state("notify", state_);
    if (!caps_.notify || mailboxes.empty())
        co_return make_error(Errc::ProtocolError, "the server does not offer NOTIFY", ErrorScope::Account,
                             Retry::Never);
    std::string list;
    for (const auto& m : mailboxes) {
        auto q = quote_astring(m);
        // Raw names are 7-bit modified UTF-7; one that would need a literal
        // is not watched this way.
        if (!q || q->form == AString::Form::Literal)
            co_return make_error(Errc::ProtocolError, "a folder name cannot be given to NOTIFY", ErrorScope::Account,
                                 Retry::Never);
        list += (list.empty() ? "" : " ") + q->text;
    }
    const std::string line = "NOTIFY SET (mailboxes (" + list + ") (MessageNew MessageExpunge))";
    auto t = co_await command(line);
    if (!t) co_return std::move(t).error();
    if (t->status != Status::Ok)
        co_return make_error(Errc::ProtocolError, "the server refused NOTIFY: " + reply_text(*t), ErrorScope::Account,
                             Retry::Never);
    status_uidnext_.clear();
    co_return Result<void>{};
}

net::awaitable<Result<StatusData>> Session::status(std::string mailbox) {
    if (state_ != State::Authenticated && state_ != State::Selected) co_return wrong_state("status", state_);
    StatusData out;
    out.mailbox = mailbox;
    bool answered = false;
    std::optional<StatusData> other;  // a STATUS under another spelling of the name
    const UntaggedHandler collect = [&](const Response& r) -> Result<void> {
        if (r.data != Response::Data::Status || !r.status_data) return {};
        const bool inbox = mailbox == "INBOX" && r.status_data->mailbox == "INBOX";
        if (r.status_data->mailbox == mailbox || inbox) {
            out = *r.status_data;
            answered = true;
        } else if (!other) {
            other = *r.status_data;
        }
        return {};
    };
    // Raw names are 7-bit (modified UTF-7): a quoted string at most.
    auto q = quote_astring(mailbox);
    if (!q || q->form == AString::Form::Literal)
        co_return make_error(Errc::MailboxUnavailable, "the folder name cannot be sent in a STATUS command",
                             ErrorScope::Mailbox, Retry::Never);
    const std::string line = "STATUS " + q->text + " (MESSAGES UIDNEXT UIDVALIDITY)";
    auto t = co_await command(line, collect);
    if (!t) co_return std::move(t).error();
    if (t->status == Status::Ok && !answered && other) {
        // The one answer, with the name spelt another way (a literal, other quoting).
        out = *other;
        out.mailbox = mailbox;
        answered = true;
    }
    if (t->status != Status::Ok || !answered)
        co_return make_error(
            Errc::MailboxUnavailable,
            "the server gave no counts for the folder \"" + sanitize_for_log(mailbox, 200) + "\": " + reply_text(*t),
            ErrorScope::Mailbox, Retry::Later);
    co_return out;
}

net::awaitable<Result<SelectInfo>> Session::select(std::string mailbox, bool read_only, bool list_behind) {
    if (state_ != State::Authenticated && state_ != State::Selected) co_return wrong_state("select", state_);
    SelectInfo info;
    const UntaggedHandler collect = [&info](const Response& r) -> Result<void> {
        if (r.data == Response::Data::Exists) info.exists = r.number;
        if (r.code.kind == ResponseCode::Kind::UidValidity) info.uidvalidity = r.code.number;
        if (r.code.kind == ResponseCode::Kind::UidNext) info.uidnext = r.code.number;
        return {};
    };
    // A listing behind the SELECT only while no folder is selected (see imap_session.h).
    list_behind = list_behind && state_ == State::Authenticated;
    // RFC 3501 §6.3.1: a SELECT, even a failing one, leaves the old mailbox.
    state_ = State::Authenticated;
    selected_ = SelectInfo{};
    const std::vector<std::string> args{mailbox};
    const std::string verb = read_only ? "EXAMINE" : "SELECT";
    const std::string shown = verb + " " + sanitize_for_log(mailbox, 200);
    listing_tag_.clear();
    Result<Response> t = make_error(Errc::Internal, "not sent");
    auto quoted = quote_astring(mailbox);
    if (list_behind && quoted && quoted->form != AString::Form::Literal) {
        // The listing rides behind the SELECT (one round trip less). Should
        // the SELECT fail, the server refuses the listing, which is read off
        // here; no mailbox is left selected (RFC 3501 §6.3.1), so there is
        // nothing the listing could be mistaken for.
        const std::string select_tag = next_tag();
        listing_tag_ = next_tag();
        if (transcript_) {
            transcript_('>', select_tag + " " + shown);
            transcript_('>', listing_tag_ + " " + detail::ListingCommand);
        }
        const std::string wire = select_tag + " " + verb + " " + quoted->text + "\r\n" + listing_tag_ + " " +
                                 detail::ListingCommand + "\r\n";
        if (auto w = co_await stream_->write(wire); !w) co_return fail(std::move(w).error());
        t = co_await run_until_tagged(select_tag, collect);
        if (t && t->status != Status::Ok) {
            auto refused = co_await run_until_tagged(listing_tag_, {});
            listing_tag_.clear();
            if (!refused) co_return std::move(refused).error();
        }
    } else {
        t = co_await command_with_args(verb, args, shown, collect);
    }
    if (!t) co_return std::move(t).error();
    if (t->status == Status::No)
        co_return make_error(Errc::MailboxUnavailable,
                             "the server cannot open the folder \"" + sanitize_for_log(mailbox, 200) +
                                 "\": " + reply_text(*t) + ". Check the folder name in the account",
                             ErrorScope::Mailbox, Retry::Later);
    if (t->status != Status::Ok) co_return protocol("the server rejected " + verb + ": " + reply_text(*t));
    if (info.uidvalidity == 0) {
        // RFC 3501 §2.3.1.1: without UIDVALIDITY a UID means nothing across
        // sessions: leave-on-server would re-deliver or skip mail.
        if (!listing_tag_.empty()) {
            auto unused = co_await run_until_tagged(std::exchange(listing_tag_, std::string()), {});
            if (!unused) co_return std::move(unused).error();
        }
        co_return make_error(Errc::ProtocolError,
                             "the server did not send a UIDVALIDITY for \"" + sanitize_for_log(mailbox, 200) +
                                 "\", so messages cannot be tracked safely",
                             ErrorScope::Mailbox, Retry::Later);
    }
    info.read_only = read_only || t->code.kind == ResponseCode::Kind::ReadOnly;
    selected_ = info;
    state_ = State::Selected;
    co_return info;
}

}  // namespace mailporter::imap
