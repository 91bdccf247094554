#pragma once
// A scriptable HTTP/1.1 server on 127.0.0.1 for the OAuth2 tests, on top of
// FakeServer: one request per connection, the test's handler answers it
// (raw bytes, so it can misbehave: stall, lie about lengths, send too much).
// Threads: as FakeServer; requests() is thread-safe.

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "scripted/fake_server.h"

namespace mailporter::test {

struct HttpExchange {
    std::string method;
    std::string target;                          // path and query
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string path() const { return target.substr(0, target.find('?')); }
};

// A complete response with Content-Length.
inline std::string http_response(int status, const std::string& body,
                                 const std::string& content_type = "application/json",
                                 const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

class FakeHttp {
public:
    // Returns the raw response to send; empty: the handler sent (or
    // withheld) what it wanted itself. The connection is closed afterwards.
    using Handler = std::function<std::string(const HttpExchange&, FakeConnection&)>;

    explicit FakeHttp(Handler handler)
        : handler_(std::move(handler)), server_([this](FakeConnection& c) { serve(c); }) {}

    std::uint16_t port() const { return server_.port(); }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port()); }
    std::vector<HttpExchange> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }

private:
    void serve(FakeConnection& c) {
        HttpExchange x;
        auto line = c.read_line();
        if (!line) return;
        const auto sp1 = line->find(' '), sp2 = line->rfind(' ');
        if (sp1 == std::string::npos || sp2 == sp1) return;
        x.method = line->substr(0, sp1);
        x.target = line->substr(sp1 + 1, sp2 - sp1 - 1);
        for (;;) {
            auto h = c.read_line();
            if (!h) return;
            if (h->empty()) break;
            const auto colon = h->find(':');
            if (colon == std::string::npos) continue;
            std::string name = h->substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
            x.headers[name] = h->substr(h->find_first_not_of(' ', colon + 1));
        }
        if (const auto it = x.headers.find("content-length"); it != x.headers.end()) {
            auto body = c.read_exact(std::stoul(it->second));
            if (!body) return;
            x.body = *body;
        }
        {
            std::lock_guard lock(mu_);
            requests_.push_back(x);
        }
        const std::string reply = handler_(x, c);
        if (!reply.empty()) c.send(reply);
        c.close();
    }

    Handler handler_;
    mutable std::mutex mu_;
    std::vector<HttpExchange> requests_;
    FakeServer server_;  // last: its threads use the members above
};

}  // namespace mailporter::test
