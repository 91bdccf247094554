#pragma once
// A data directory driven through the real mailporter-cli against the bed:
// the same steps a user types (server set, account add ...). Catch2 REQUIREs
// that each step worked.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "integration/cli_runner.h"
#include "integration/testbed.h"

namespace mailporter::test {

struct Setup {
    std::filesystem::path data_dir;
    std::vector<std::string> env;

    explicit Setup(const std::string& name) {
        data_dir = TestBed::shared().dir() / ("data-" + name + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(data_dir);
        env = {"SSL_CERT_FILE=" + TestBed::shared().ca_file().string()};
    }
    CliResult cli(std::vector<std::string> args, const std::string& input = {}) const {
        args.insert(args.begin(), {"--data-dir", data_dir.string(), "--secret-store", "file"});
        return run_cli(args, input, env);
    }
    // The bed's Postfix on its plain port as the office server.
    void office_plain() const {
        auto r = cli({"server", "set", "--host", "127.0.0.1", "--port", std::to_string(TestBed::shared().port("smtp")),
                      "--tls", "none"});
        REQUIRE(r.exit_code == 0);
    }
    // An individual box delivered to one office address.
    void add_account(const std::string& name, const std::string& user, const std::string& port_name,
                     const std::string& tls, const std::string& deliver_to,
                     const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> routing{"--deliver-to", deliver_to};
        routing.insert(routing.end(), extra.begin(), extra.end());
        add(name, user, port_name, tls, routing);
    }
    // An IMAP box (extra: --folder, --leave, --idle ...).
    void add_imap(const std::string& name, const std::string& user, const std::string& port_name,
                  const std::string& tls, const std::string& deliver_to,
                  const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> rest{"--deliver-to", deliver_to};
        rest.insert(rest.end(), extra.begin(), extra.end());
        add(name, user, port_name, tls, rest, "imap");
    }
    // A catch-all box: routing holds --catch-all, --domain, --fallback ...
    void add_catchall(const std::string& name, const std::string& user, const std::string& port_name,
                      const std::string& tls, const std::vector<std::string>& routing,
                      const std::string& protocol = "pop3") const {
        std::vector<std::string> args{"--catch-all"};
        args.insert(args.end(), routing.begin(), routing.end());
        add(name, user, port_name, tls, args, protocol);
    }

private:
    void add(const std::string& name, const std::string& user, const std::string& port_name, const std::string& tls,
             const std::vector<std::string>& rest, const std::string& protocol = "pop3") const {
        std::vector<std::string> args{"account",
                                      "add",
                                      name,
                                      "--protocol",
                                      protocol,
                                      "--host",
                                      "localhost",
                                      "--port",
                                      std::to_string(TestBed::shared().port(port_name)),
                                      "--tls",
                                      tls,
                                      "--user",
                                      user,
                                      "--password-stdin"};
        args.insert(args.end(), rest.begin(), rest.end());
        auto r = cli(args, TestBed::shared().password(user));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
};

}  // namespace mailporter::test
