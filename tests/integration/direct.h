#pragma once
// A data directory driven directly through the library (the test controls
// the clock and the io_context), with the bed's Postfix as the office
// server and the IMAPS Dovecot as the provider.

#include <filesystem>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "integration/testbed.h"
#include "store/database.h"
#include "mailporter/secret_store.h"

namespace mailporter::test {

// A data directory driven directly (the test controls the clock).
struct Direct {
    std::filesystem::path dir;
    std::unique_ptr<Database> db;
    std::unique_ptr<SecretStore> secrets;

    explicit Direct(const std::string& name) {
        auto& bed = TestBed::shared();
        dir = bed.dir() / (name + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        auto d = Database::open(dir / "mailporter.db");
        REQUIRE(d.ok());
        db = std::move(*d);
        auto s = open_file_store(dir / "secrets");
        REQUIRE(s.ok());
        secrets = std::move(*s);
        OfficeServer office;
        office.host = "127.0.0.1";
        office.port = bed.port("smtp");
        REQUIRE(db->set_office_server(office).ok());
        ::setenv("SSL_CERT_FILE", bed.ca_file().c_str(), 1);
    }
    // port_name "imaps_selfsigned": the prefixed Dovecot with NOTIFY, its
    // certificate pinned.
    Account add(Account a, const std::string& port_name = "imaps") {
        auto& bed = TestBed::shared();
        a.protocol = Protocol::Imap;
        a.host = "localhost";
        a.port = bed.port(port_name);
        a.tls.mode = TlsMode::Implicit;
        if (port_name == "imaps_selfsigned") a.tls.pinned_sha256 = bed.selfsigned_sha256();
        auto added = db->add_account(a);
        REQUIRE(added.ok());
        REQUIRE(secrets->store(account_secret_key(a.name), bed.password(a.user)).ok());
        return *added;
    }
};

}  // namespace mailporter::test
