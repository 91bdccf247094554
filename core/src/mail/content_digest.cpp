#include "mail/content_digest.h"

#include <array>
#include <cctype>
#include <cstring>

#include <openssl/evp.h>

namespace mailporter::mail {

namespace {

constexpr std::size_t MaxFieldName = 128;

std::string hex(const unsigned char* md, unsigned len) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) {
        out.push_back(digits[md[i] >> 4]);
        out.push_back(digits[md[i] & 15]);
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

bool is_transit_field(std::string_view name) {
    // What the servers between sender and box write (RFC 5321 §4.4 trace
    // fields, the envelope headers providers add, and verdicts of filters);
    // two copies of one message differ only in these.
    static constexpr std::string_view Exact[] = {
        "Received",
        "Return-Path",
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
        "X-Delivered-To",
        "X-Rcpt-To",
        "X-Original-Delivered-To",
        "X-Envelope-From",
        "Authentication-Results",
        "Received-SPF",
        "X-Received",
        "X-Apparently-To",
        "X-Resolved-To",
        "X-Forwarded-To",
        "X-Forwarded-For",
        "X-Original-Authentication-Results",
    };
    for (auto e : Exact)
        if (iequals(name, e)) return true;
    static constexpr std::string_view Prefixes[] = {"ARC-", "X-Spam", "X-Virus", "X-Rspamd", "X-Ham-Report"};
    for (auto p : Prefixes)
        if (istarts_with(name, p)) return true;
    return false;
}

struct ContentDigest::Ctx {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    Ctx() { EVP_DigestInit_ex(md, EVP_sha256(), nullptr); }
    ~Ctx() { EVP_MD_CTX_free(md); }
    Ctx(const Ctx&) = delete;
    Ctx& operator=(const Ctx&) = delete;
    std::string out;  // normalised bytes of the current feed(), hashed at its end
};

ContentDigest::ContentDigest() : ctx_(std::make_unique<Ctx>()) {}
ContentDigest::~ContentDigest() = default;
ContentDigest::ContentDigest(ContentDigest&&) noexcept = default;
ContentDigest& ContentDigest::operator=(ContentDigest&&) noexcept = default;

void ContentDigest::hash(std::string_view s) { ctx_->out.append(s); }

// One content byte of the current line (line ends handled by end_line()).
void ContentDigest::line_byte(char c) {
    if (!in_header_) {
        ctx_->out.push_back(c);
        return;
    }
    if (at_line_start_) {
        at_line_start_ = false;
        if (c == ' ' || c == '\t') {
            // RFC 5322 §2.2.3: a continuation shares its field's fate.
            name_decided_ = true;
        } else {
            name_decided_ = false;
            skipping_field_ = false;
            line_head_.clear();
        }
    }
    if (name_decided_) {
        if (!skipping_field_) ctx_->out.push_back(c);
        return;
    }
    line_head_.push_back(c);
    if (c == ':' || line_head_.size() > MaxFieldName) {
        const auto colon = line_head_.find(':');
        skipping_field_ =
            colon != std::string::npos && is_transit_field(trim(std::string_view(line_head_).substr(0, colon)));
        name_decided_ = true;
        if (!skipping_field_) ctx_->out.append(line_head_);
        line_head_.clear();
    }
}

void ContentDigest::end_line() {
    if (in_header_) {
        if (at_line_start_) {
            // The empty line: the body follows.
            in_header_ = false;
            ctx_->out.push_back('\n');
            return;
        }
        if (!name_decided_) {
            // A line without a colon (not a field): content like any other.
            skipping_field_ = false;
            ctx_->out.append(line_head_);
            line_head_.clear();
        }
        if (!skipping_field_) ctx_->out.push_back('\n');
        at_line_start_ = true;
        return;
    }
    ctx_->out.push_back('\n');
}

void ContentDigest::feed(std::string_view chunk) {
    bytes_ += chunk.size();
    auto& out = ctx_->out;
    out.clear();
    const auto flush = [&] {
        if (out.empty()) return;
        EVP_DigestUpdate(ctx_->md, out.data(), out.size());
        out.clear();
    };
    std::size_t i = 0;
    while (i < chunk.size()) {
        if (in_header_ || pending_cr_) {
            // The header byte by byte (a field's fate hangs on its name), and
            // the byte after a CR.
            const char c = chunk[i++];
            if (pending_cr_) {
                pending_cr_ = false;
                if (c == '\n') {
                    end_line();
                    continue;
                }
                line_byte('\r');  // a lone CR is content
            }
            if (c == '\r')
                pending_cr_ = true;
            else if (c == '\n')
                end_line();
            else
                line_byte(c);
            continue;
        }
        // The body: as it is up to the next CR (a bare LF is already the
        // normal line end), straight into the digest.
        const char* start = chunk.data() + i;
        const auto* cr = static_cast<const char*>(std::memchr(start, '\r', chunk.size() - i));
        const std::size_t n = cr ? static_cast<std::size_t>(cr - start) : chunk.size() - i;
        flush();
        EVP_DigestUpdate(ctx_->md, start, n);
        i += n;
        if (cr) {
            pending_cr_ = true;
            ++i;
        }
    }
    flush();
}

std::string ContentDigest::finish() {
    ctx_->out.clear();
    if (pending_cr_) {
        pending_cr_ = false;
        line_byte('\r');
    }
    if (in_header_ && !at_line_start_ && !name_decided_) ctx_->out.append(line_head_);
    EVP_DigestUpdate(ctx_->md, ctx_->out.data(), ctx_->out.size());
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_->md, md.data(), &len);
    return hex(md.data(), len);
}

std::string content_digest(std::string_view message) {
    ContentDigest d;
    d.feed(message);
    return d.finish();
}

std::string suspect_key(const HeaderBlock& block) {
    for (const auto* f : fields_named(block, "Message-ID")) {
        std::string id;
        for (char c : f->value)
            if (!std::isspace(static_cast<unsigned char>(c))) id.push_back(c);
        if (!id.empty() && id != "<>") return "id:" + id;
    }
    // No Message-ID (cron, scanners, old mailers): the header as the sender
    // wrote it stands in; only a full content digest can confirm a match.
    ContentDigest d;
    for (const auto& f : block.fields) {
        if (is_transit_field(f.name)) continue;
        d.feed(f.name);
        d.feed(":");
        d.feed(f.value);
        d.feed("\n");
    }
    return "h:" + d.finish();
}

}  // namespace mailporter::mail
