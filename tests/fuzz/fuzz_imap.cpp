// IMAP responses (proto/imap_parser.h): framing, parsing, streamed-literal
// heads, dates, modified UTF-7 names, and command-argument quoting.
//
// The stream is read the way Session::read_response does (a large literal is
// skipped and replaced by "{0}" CRLF), once with every byte at hand and once
// delivered in fuzzer-chosen chunks. Properties: no crash; both readings give
// the same responses, heads and errors (framing does not depend on how the
// bytes arrive); a Complete frame is never longer than the buffer; whatever
// parses has list depth, numbers and names within bounds; quote_astring's
// forms decode back to the input and never put CR/LF into a quoted string;
// split_uid_sets joined with ',' is format_uid_set. Folder selection
// (imap_folders.h) over the LIST and NAMESPACE responses that parsed: each
// chosen folder once, listed (or INBOX), INBOX first; a name is missing or
// chosen, never both.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.h"
#include "proto/imap_folders.h"
#include "proto/imap_parser.h"

using namespace mailporter::imap;

namespace {

// What the responses of one input said about folders (for check_folders).
struct Seen {
    std::vector<MailboxInfo> listed;
    NamespaceData ns;
};
Seen seen;

void check_response(const Response& r) {
    if (r.list && seen.listed.size() < 64) {
        MailboxInfo m;
        m.name = r.list->name;
        m.display = decode_mailbox_name(m.name).value_or(m.name);
        m.delimiter = r.list->delimiter;
        m.flags = r.list->flags;
        seen.listed.push_back(std::move(m));
    }
    if (r.namespaces) seen.ns = *r.namespaces;
    if (r.kind == Response::Kind::Tagged) FUZZ_CHECK(!r.tag.empty());
    for (const auto& c : r.capabilities) FUZZ_CHECK(c.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
    if (r.list) {
        (void)decode_mailbox_name(r.list->name);
        if (r.data == Response::Data::List) FUZZ_CHECK(r.list.has_value());
    }
    if (r.fetch)
        for (const auto& b : r.fetch->bodies)
            if (b.nil) FUZZ_CHECK(b.data.empty());
    if (r.namespaces) FUZZ_CHECK(r.namespaces->personal.size() <= 64 && r.namespaces->other.size() <= 64);
    if (r.data == Response::Data::Namespace) FUZZ_CHECK(r.namespaces.has_value());
    if (r.data == Response::Data::Status) FUZZ_CHECK(r.status_data.has_value());
}

// Reads responses like Session::read_response; `chunks` empty: all bytes at once.
std::vector<std::string> read_all(std::string_view stream, const FrameLimits& limits,
                                  const std::vector<std::size_t>& chunks) {
    std::vector<std::string> log;
    std::string buffered;
    std::size_t delivered = 0, next_chunk = 0;
    auto read_more = [&] {
        if (delivered == stream.size()) return false;
        const std::size_t n =
            chunks.empty() ? stream.size() : std::max<std::size_t>(1, chunks[next_chunk++ % chunks.size()]);
        const auto part = stream.substr(delivered, n);
        buffered += part;
        delivered += part.size();
        return true;
    };
    std::string assembled;
    std::uint64_t skip = 0;
    while (log.size() < 256) {
        if (skip > 0) {  // the literal's data, streamed past
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip, buffered.size()));
            buffered.erase(0, n);
            skip -= n;
            if (skip > 0 && !read_more()) break;
            continue;
        }
        FrameLimits rest = limits;
        rest.max_response = limits.max_response - std::min(assembled.size(), limits.max_response);
        auto frame = frame_response(buffered, rest);
        if (!frame) {
            // Over both bounds, which one is named depends on how far the
            // bytes had come (a known, harmless difference): compare them as one.
            const auto code = frame.error().code;
            const bool limit = code == mailporter::Errc::LineTooLong || code == mailporter::Errc::TooBig;
            log.push_back(limit ? "error: over a limit" : "error " + std::to_string(static_cast<int>(code)));
            break;
        }
        if (frame->kind == Frame::Kind::NeedMore) {
            if (!read_more()) break;
            continue;
        }
        FUZZ_CHECK(frame->length > 0 && frame->length <= buffered.size());
        if (frame->kind == Frame::Kind::Complete) {
            assembled += buffered.substr(0, frame->length);
            buffered.erase(0, frame->length);
            auto parsed = parse_response(assembled);
            if (parsed) check_response(*parsed);
            log.push_back((parsed ? "ok " : "bad ") + assembled);
            assembled.clear();
            continue;
        }
        FUZZ_CHECK(frame->head < frame->length);
        FUZZ_CHECK(frame->literal_size > limits.max_literal);
        assembled += buffered.substr(0, frame->head);
        auto head = parse_fetch_head(assembled);
        if (head) FUZZ_CHECK(!head->item.empty());
        log.push_back("head " + assembled + " " + std::to_string(frame->literal_size));
        assembled += "{0}\r\n";
        buffered.erase(0, frame->length);
        skip = frame->literal_size;
    }
    return log;
}

void check_quoting(const std::string& s) {
    auto q = quote_astring(s);
    FUZZ_CHECK(q.ok() == (s.find('\0') == std::string::npos));
    if (!q) return;
    switch (q->form) {
        case AString::Form::Atom:
            FUZZ_CHECK(q->text == s && !s.empty());
            break;
        case AString::Form::Literal:
            FUZZ_CHECK(q->text == s);
            break;
        case AString::Form::Quoted: {
            FUZZ_CHECK(q->text.size() >= 2 && q->text.front() == '"' && q->text.back() == '"');
            FUZZ_CHECK(!mailporter::fuzz::has_cr_or_lf(q->text));
            std::string unquoted;
            for (std::size_t i = 1; i + 1 < q->text.size(); ++i) {
                if (q->text[i] == '\\') ++i;
                FUZZ_CHECK(i + 1 < q->text.size());
                unquoted += q->text[i];
            }
            FUZZ_CHECK(unquoted == s);
            break;
        }
    }
}

void check_uid_sets(FuzzedDataProvider& in) {
    std::vector<std::uint32_t> uids;
    const auto n = in.ConsumeIntegralInRange<std::size_t>(0, 64);
    for (std::size_t i = 0; i < n; ++i) uids.push_back(in.ConsumeIntegral<std::uint32_t>());
    const auto max_len = in.ConsumeIntegralInRange<std::size_t>(0, 200);
    const auto whole = format_uid_set(uids);
    FUZZ_CHECK(whole.find_first_not_of("0123456789:,") == std::string::npos);
    std::string joined;
    for (const auto& set : split_uid_sets(uids, max_len)) {
        FUZZ_CHECK(!set.empty() && set.size() <= std::max<std::size_t>(max_len, 21));
        joined += (joined.empty() ? "" : ",") + set;
    }
    FUZZ_CHECK(joined == whole);
}

void check_folders(const std::string& text) {
    const auto naming = naming_of(seen.ns, seen.listed);
    std::vector<std::string> wanted{"*"};
    for (std::size_t at = 0; at < text.size() && wanted.size() < 8;) {
        const auto end = std::min(text.find(',', at), text.size());
        wanted.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    const auto sel = select_folders(wanted, seen.listed, naming);
    for (std::size_t i = 0; i < sel.folders.size(); ++i) {
        const auto& f = sel.folders[i];
        (void)user_name(MailboxInfo{f.name, f.name, naming.delimiter, false, {}}, naming);
        if (f.name == "INBOX") FUZZ_CHECK(i == 0);
        bool listed = f.name == "INBOX";
        for (const auto& m : seen.listed) listed = listed || (m.name == f.name && !m.noselect);
        FUZZ_CHECK(listed);
        for (std::size_t j = i + 1; j < sel.folders.size(); ++j) FUZZ_CHECK(sel.folders[j].name != f.name);
    }
    for (const auto& m : sel.missing) FUZZ_CHECK(m != "*");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    FrameLimits limits;
    limits.max_line = in.ConsumeIntegralInRange<std::size_t>(8, 4096);
    limits.max_literal = in.ConsumeIntegralInRange<std::uint64_t>(0, 1024);
    limits.max_response = in.ConsumeIntegralInRange<std::size_t>(16, 16384);
    std::vector<std::size_t> chunks;
    for (int i = 0; i < 8; ++i) chunks.push_back(in.ConsumeIntegralInRange<std::size_t>(1, 64));
    check_uid_sets(in);
    const auto text = in.ConsumeRandomLengthString(256);
    const auto stream = in.ConsumeRemainingBytesAsString();

    seen = {};
    FUZZ_CHECK(read_all(stream, limits, {}) == read_all(stream, limits, chunks));
    if (auto r = parse_response(stream)) check_response(*r);
    (void)parse_fetch_head(text);
    (void)parse_internal_date(text);
    (void)decode_mailbox_name(text);
    check_quoting(text);
    check_folders(text);
    return 0;
}
