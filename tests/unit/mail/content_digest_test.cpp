// What "the same message" means for the ledger: transit fields do not count,
// everything else does, whatever the chunking and line ends.
#include "mail/content_digest.h"

#include <string>

#include <openssl/evp.h>

#include <catch2/catch.hpp>

using namespace mailporter::mail;

namespace {

const std::string Body = "Hello,\r\n\r\nthe report is attached.\r\n.\r\n..dots\r\n";

std::string message(const std::string& top, const std::string& id = "Message-ID: <r1@scanner>\r\n") {
    return top + "From: Scanner <scan@example.org>\r\nTo: all@example.com\r\nSubject: Scan\r\n" + id +
           "Date: Mon, 1 Dec 2025 10:00:00 +0000\r\n\r\n" + Body;
}

}  // namespace

TEST_CASE("copies that differ only in the provider's transit fields digest alike", "[mail][digest]") {
    const auto a = message("Delivered-To: alice@example.com\r\nReceived: from mx1 by box; Mon, 1 Dec 2025\r\n");
    const auto b = message(
        "Delivered-To: bob@example.com\r\nX-Original-To: bob@example.com\r\nReceived: from mx2\r\n\tby box2;\r\n"
        " Mon, 1 Dec 2025\r\nX-Spam-Status: No, score=0.1\r\nAuthentication-Results: mx2; spf=pass\r\n");
    CHECK(content_digest(a) == content_digest(b));
    CHECK(content_digest(a).size() == 64);
}

TEST_CASE("different messages never digest alike, whatever their Message-ID says", "[mail][digest]") {
    const auto a = message("Received: from mx1\r\n");
    auto other_body = a;
    other_body.replace(other_body.find("report"), 6, "REPORT");
    CHECK(content_digest(a) != content_digest(other_body));
    // Another author field, another message.
    auto other_subject = a;
    other_subject.replace(other_subject.find("Subject: Scan"), 13, "Subject: Scan 2");
    CHECK(content_digest(a) != content_digest(other_subject));
    // Without its Message-ID it is another message.
    CHECK(content_digest(message("")) != content_digest(message("", "")));
    // A field whose name merely starts like a transit field is content.
    CHECK(content_digest(message("X-Received-By: a\r\n")) != content_digest(message("X-Received-By: b\r\n")));
}

TEST_CASE("chunking and line ends do not change the digest; a lone CR does", "[mail][digest]") {
    const auto m = message("Received: from mx1\r\n");
    const auto whole = content_digest(m);
    for (std::size_t step : {1u, 2u, 3u, 7u, 64u}) {
        ContentDigest d;
        for (std::size_t i = 0; i < m.size(); i += step) d.feed(std::string_view(m).substr(i, step));
        CHECK(d.finish() == whole);
    }
    std::string lf = m;
    for (auto p = lf.find("\r\n"); p != std::string::npos; p = lf.find("\r\n", p)) lf.erase(p, 1);
    CHECK(content_digest(lf) == whole);
    std::string cr = m;
    cr.replace(cr.find("attached."), 9, "attac\rhed.");
    CHECK(content_digest(cr) != whole);
}

TEST_CASE("edge cases: empty, header only, no header end, huge field name", "[mail][digest]") {
    CHECK(content_digest("") != content_digest("\r\n"));
    CHECK(content_digest("Subject: a") != content_digest("Subject: b"));
    CHECK(content_digest("Received: x") == content_digest("Received: y"));  // a lone transit field
    const std::string long_name(300, 'X');
    CHECK(content_digest(long_name + ": 1\r\n\r\nbody") != content_digest(long_name + ": 2\r\n\r\nbody"));
    CHECK(content_digest("no colon line\r\n\r\nbody") != content_digest("another line\r\n\r\nbody"));
}

TEST_CASE("suspect keys: the Message-ID unfolded, else the sender's header", "[mail][digest]") {
    CHECK(suspect_key(parse_header_block("Message-ID:\r\n <a@b>\r\n\r\n")) == "id:<a@b>");
    CHECK(suspect_key(parse_header_block("Message-Id: <a@b>  \r\n\r\n")) == "id:<a@b>");
    const auto k1 = suspect_key(parse_header_block("Received: x\r\nFrom: cron@h\r\nSubject: a\r\n\r\n"));
    const auto k2 = suspect_key(parse_header_block("Received: y\r\nFrom: cron@h\r\nSubject: a\r\n\r\n"));
    const auto k3 = suspect_key(parse_header_block("From: cron@h\r\nSubject: b\r\n\r\n"));
    CHECK(k1.rfind("h:", 0) == 0);
    CHECK(k1 == k2);
    CHECK(k1 != k3);
    CHECK(suspect_key(parse_header_block("Message-ID: <>\r\nFrom: x\r\n\r\n")).rfind("h:", 0) == 0);
}

TEST_CASE("transit fields are recognised without case", "[mail][digest]") {
    for (const char* n : {"received", "RETURN-PATH", "Delivered-To", "x-original-to", "ARC-Seal", "X-Spam-Score",
                          "x-virus-scanned", "Authentication-Results"})
        CHECK(is_transit_field(n));
    for (const char* n : {"From", "To", "Subject", "Message-ID", "Date", "DKIM-Signature", "X-Mailer", "Content-Type"})
        CHECK_FALSE(is_transit_field(n));
}

namespace {

std::string sha256_hex(const std::string& s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 15];
    }
    return out;
}

// The definition, written the slow and obvious way: line ends normalised,
// transit fields (with their continuation lines) out of the header block.
std::string reference_form(const std::string& m) {
    std::string norm;
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i] == '\r' && i + 1 < m.size() && m[i + 1] == '\n') continue;  // CRLF -> LF
        norm += m[i];
    }
    std::string out;
    std::size_t pos = 0;
    bool skipping = false;
    bool header = true;
    while (pos < norm.size()) {
        auto nl = norm.find('\n', pos);
        const bool last = nl == std::string::npos;
        std::string line = norm.substr(pos, last ? std::string::npos : nl - pos);
        pos = last ? norm.size() : nl + 1;
        if (!header) {
            out += line + (last ? "" : "\n");
            continue;
        }
        if (line.empty() && !last) {
            header = false;
            out += "\n";
            continue;
        }
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            if (!skipping) out += line + (last ? "" : "\n");
            continue;
        }
        const auto colon = line.find(':');
        std::string name = colon == std::string::npos || colon > 128 ? std::string() : line.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
        skipping = !name.empty() && is_transit_field(name);
        if (!skipping) out += line + (last ? "" : "\n");
    }
    return out;
}

}  // namespace

TEST_CASE("the digest equals the digest of the reference form, for random messages in random chunks",
          "[mail][digest]") {
    std::uint64_t state = 12345;
    const auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(state >> 33);
    };
    const char* pieces[] = {"Received: from x\r\n",
                            "\tby y\r\n",
                            "From: a@b\r\n",
                            "Subject: s\r\n",
                            "X-Spam-Flag: NO\n",
                            " folded\r\n",
                            "\r\n",
                            "\n",
                            "\r",
                            "body text ",
                            ".\r\n",
                            "..\r\n",
                            "x\ry",
                            "Delivered-To: z\r\n"};
    for (int round = 0; round < 500; ++round) {
        std::string m;
        const int parts = static_cast<int>(next() % 30);
        for (int k = 0; k < parts; ++k) m += pieces[next() % std::size(pieces)];
        ContentDigest d;
        for (std::size_t i = 0; i < m.size();) {
            const std::size_t n = 1 + next() % 9;
            d.feed(std::string_view(m).substr(i, n));
            i += n;
        }
        std::string shown;
        for (char c : m)
            shown += c == '\r'   ? std::string("\\r")
                     : c == '\n' ? std::string("\\n")
                     : c == '\t' ? std::string("\\t")
                                 : std::string(1, c);
        INFO(shown);
        CHECK(d.finish() == sha256_hex(reference_form(m)));
    }
}
