// gui_bed: the real-server test bed (tests/integration/testbed.h) for the
// GUI test scripts, which are shell. Starts the bed, prints
//   BED <dir>
// (the bed's bed.env holds ports, users, passwords, CA), then answers
// commands on standard input, one per line:
//   put USER N [TAG]   N small messages into USER's remote INBOX -> "ok N"
//   count USER         messages in USER's remote INBOX           -> "count N"
// and stops the bed on "quit" or end of input (also when the script dies:
// the bed's own watchdog then runs `testbed.sh down`).

#include <iostream>
#include <sstream>
#include <string>

#include "integration/testbed.h"

namespace {

std::string message(const std::string& tag, int i) {
    std::string n = std::to_string(i);
    std::string m = "From: Sender " + n + " <sender" + n +
                    "@example.test>\r\n"
                    "To: office@example.test\r\n"
                    "Subject: " +
                    tag + " message " + n +
                    "\r\n"
                    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                    "Message-ID: <" +
                    tag + "-" + n +
                    "@example.test>\r\n"
                    "MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    for (int line = 0; line < 20; ++line)
        m += "Line " + std::to_string(line) + " of message " + n + " (" + tag + ").\r\n";
    return m;
}

}  // namespace

int main() {
    using mailporter::test::TestBed;
    try {
        TestBed& bed = TestBed::shared();
        std::cout << "BED " << bed.dir().string() << std::endl;
        std::string line;
        while (std::getline(std::cin, line)) {
            std::istringstream in(line);
            std::string cmd, user;
            in >> cmd >> user;
            if (cmd == "quit") break;
            if (cmd == "put") {
                int n = 0;
                std::string tag = "gui";
                in >> n >> tag;
                for (int i = 1; i <= n; ++i) bed.put_remote(user, message(tag, i));
                std::cout << "ok " << n << std::endl;
            } else if (cmd == "count") {
                std::cout << "count " << bed.remote_count(user) << std::endl;
            } else {
                std::cout << "error unknown command" << std::endl;
            }
        }
    } catch (const std::exception& e) {
        std::cout << "ERROR " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
