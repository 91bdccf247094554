// SMTP replies and commands (proto/smtp_parser.h). The input is split into
// lines at LF (a CR before it dropped) and fed to one ReplyParser; each line
// is also tried as a MAIL FROM / RCPT TO address. Properties: no crash; a
// complete reply has one code in 200..599, at most MaxLines lines of at most
// MaxLineStored bytes, and reads back the same when written out again;
// parse_ehlo gives upper-case, unique mechanisms and nothing for a non-2xx
// reply; a formatted command holds the address as given, 254 bytes at most
// and free of controls, '<' and '>', and ends in its only CRLF (no command
// can be injected).

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.h"
#include "proto/smtp_parser.h"

using namespace mailporter::smtp;

namespace {

void check_reply(const Reply& reply) {
    FUZZ_CHECK(reply.code >= 200 && reply.code <= 599);
    FUZZ_CHECK(!reply.lines.empty() && reply.lines.size() <= ReplyParser::MaxLines);
    for (const auto& l : reply.lines) FUZZ_CHECK(l.size() <= ReplyParser::MaxLineStored);
    if (!reply.enhanced.empty()) FUZZ_CHECK(reply.enhanced[0] == static_cast<char>('0' + reply.code / 100));

    const auto caps = parse_ehlo(reply);
    std::set<std::string> mechs;
    for (const auto& m : caps.auth) {
        FUZZ_CHECK(!m.empty() && m.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
        FUZZ_CHECK(mechs.insert(m).second);
    }
    if (!reply.positive()) FUZZ_CHECK(caps.auth.empty() && !caps.starttls && !caps.size);
    if (caps.size) FUZZ_CHECK(*caps.size > 0);

    // Written out again, line by line, it reads back the same.
    ReplyParser again;
    const auto code = std::to_string(reply.code);
    for (std::size_t i = 0; i < reply.lines.size(); ++i) {
        const bool last = i + 1 == reply.lines.size();
        const auto status = again.feed_line(code + (last ? " " : "-") + reply.lines[i]);
        FUZZ_CHECK(status == (last ? ReplyParser::Status::Complete : ReplyParser::Status::NeedMore));
    }
    const auto copy = again.take();
    FUZZ_CHECK(copy.code == reply.code && copy.lines == reply.lines && copy.enhanced == reply.enhanced);
}

void check_command(std::string_view addr, const std::string& cmd, std::string_view verb) {
    FUZZ_CHECK(cmd.size() >= verb.size() + 3 && cmd.starts_with(verb) && cmd.ends_with("\r\n"));
    FUZZ_CHECK(cmd.substr(verb.size(), addr.size() + 1) == std::string(addr) + ">");
    FUZZ_CHECK(addr.size() <= 254);
    FUZZ_CHECK(!mailporter::fuzz::has_control(cmd.substr(0, cmd.size() - 2)));
    FUZZ_CHECK(addr.find_first_of("<>") == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto mail_size =
        in.ConsumeBool() ? std::optional<std::uint64_t>(in.ConsumeIntegral<std::uint64_t>()) : std::nullopt;
    const bool body_8bit = in.ConsumeBool();
    const auto rest = in.ConsumeRemainingBytesAsString();
    std::string_view text = rest;

    ReplyParser parser;
    for (int n = 0; !text.empty() && n < 2048; ++n) {
        const auto lf = text.find('\n');
        auto line = text.substr(0, lf);
        text = lf == std::string_view::npos ? std::string_view{} : text.substr(lf + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

        switch (parser.feed_line(line)) {
            case ReplyParser::Status::Complete:
                check_reply(parser.take());
                break;
            case ReplyParser::Status::Error:
                FUZZ_CHECK(parser.error().code == mailporter::Errc::ProtocolError);
                FUZZ_CHECK(parser.feed_line("250 OK") == ReplyParser::Status::Error);
                parser.reset();
                break;
            case ReplyParser::Status::NeedMore:
                break;
        }
        if (auto cmd = format_mail_from(line, mail_size, body_8bit)) check_command(line, *cmd, "MAIL FROM:<");
        if (auto cmd = format_rcpt_to(line)) {
            check_command(line, *cmd, "RCPT TO:<");
            FUZZ_CHECK(line.find('@') != std::string_view::npos);
        }
    }
    return 0;
}
