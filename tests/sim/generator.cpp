#include "sim/generator.h"

#include <string>

#include "sim/messages.h"

namespace mailporter::sim {

namespace {

void add_folders(Rng& rng, Box& b) {
    const auto folder = [&](std::string name, std::string use, bool noselect) {
        Folder f;
        f.name = std::move(name);
        f.special_use = std::move(use);
        f.noselect = noselect;
        f.uidvalidity = static_cast<std::uint32_t>(rng.range(1, 1'000'000));
        // Mostly every folder counts from UID 1: equal UIDs across folders.
        f.uidnext = rng.chance(0.75) ? 1 : static_cast<std::uint32_t>(rng.range(2, 60));
        b.folders.push_back(std::move(f));
    };
    folder("INBOX", "", false);
    folder("Projects", "", false);
    if (rng.chance(0.6)) {
        // Left out by "*" (a role, or only the usual name): README.
        folder("Archive", "", false);
        folder("Sent", "\\Sent", false);
        folder("Trash", "\\Trash", false);
        folder("Junk", "\\Junk", false);
    }
    if (rng.chance(0.3)) {
        folder("Lists", "", true);
        folder("Lists/team", "", false);
    }
}

LeavePolicy pick_leave(Rng& rng, bool imap) {
    const auto r = rng.below(100);
    if (r < 38) return {LeavePolicy::Kind::Delete, 0};
    if (r < 62) return {LeavePolicy::Kind::Days, rng.range(1, 4)};
    if (r < 82 || !imap) return {LeavePolicy::Kind::Forever, 0};
    return {LeavePolicy::Kind::MarkRead, 0};
}

// Some message on a box, as (folder index or -1 for POP3, position).
bool pick_message(Rng& rng, Box& b, int& folder, std::size_t& pos) {
    std::vector<std::pair<int, std::size_t>> all;
    for (std::size_t i = 0; i < b.pop3.size(); ++i) all.emplace_back(-1, i);
    for (std::size_t f = 0; f < b.folders.size(); ++f)
        for (std::size_t i = 0; i < b.folders[f].msgs.size(); ++i) all.emplace_back(static_cast<int>(f), i);
    if (all.empty()) return false;
    const auto& p = rng.pick(all);
    folder = p.first;
    pos = p.second;
    return true;
}

}  // namespace

SeedPlan make_scenario(Rng& rng, World& world) {
    SeedPlan plan;
    world.now = T0;
    plan.slow = rng.chance(0.01);
    plan.steps = rng.range(3, 10);
    plan.office_lanes = rng.range(1, 4);
    plan.commit_every = rng.chance(0.3) ? 1 : rng.chance(0.5) ? 4 : 64;
    world.office_pipelining = rng.chance(0.85);
    world.office_size_limit = rng.chance(0.12) ? 40000 : 0;
    world.refused = {"nobody@office.local", "nobody@example.net"};

    const int n = rng.range(1, 4);
    for (int i = 0; i < n; ++i) {
        Box b;
        b.index = i;
        b.protocol = rng.chance(0.5) ? Protocol::Imap : Protocol::Pop3;
        b.user = "user" + std::to_string(i);
        b.password = "pw-" + std::to_string(i) + "-" + std::to_string(rng.below(10000));
        Account a;
        a.name = "acct" + std::to_string(i);
        a.protocol = b.protocol;
        a.host = "127.0.0.1";
        a.tls = TlsSettings{TlsMode::None};
        a.user = b.user;
        const bool imap = b.protocol == Protocol::Imap;
        a.leave = pick_leave(rng, imap);
        if (imap) {
            add_folders(rng, b);
            b.uidplus = rng.chance(0.7);
            const auto auth = rng.below(10);
            b.auth = auth < 5 ? Box::Auth::PlainIr : auth < 7 ? Box::Auth::Plain : Box::Auth::Login;
            b.caps_in_greeting = rng.chance(0.7);
            const auto r = rng.below(100);
            if (r < 35)
                a.folders = rng.chance(0.5) ? std::vector<std::string>{} : std::vector<std::string>{"INBOX"};
            else if (r < 60)
                a.folders = {"INBOX", "Projects"};
            else
                a.folders = {"*"};
        } else {
            b.uidl = rng.chance(0.9);
            b.pipelining = rng.chance(0.6);
            // Without UIDL nothing can be left on the server (documented:
            // delete after delivery); such boxes are set up that way.
            if (!b.uidl) a.leave = {LeavePolicy::Kind::Delete, 0};
        }
        if (rng.chance(0.55)) {
            a.catch_all = true;
            a.domains = {"example.com=office.local"};
            if (rng.chance(0.5)) a.domains.push_back("example.net");
            if (rng.chance(0.5)) a.fallback = "fallback@office.local";
        } else {
            a.deliver_to = rng.chance(0.05) ? "nobody@office.local" : "box" + std::to_string(i) + "@office.local";
        }
        if (rng.chance(0.08)) a.max_size_bytes = 30000;
        world.boxes.push_back(std::move(b));
        plan.accounts.push_back(std::move(a));
    }
    MessageFactory make(world, rng);
    for (int i = 0; i < n; ++i) {
        const int count = rng.range(0, 7);
        for (int k = 0; k < count; ++k) {
            world.now = T0 - rng.range(0, 3 * 24 * 60) * Minute;
            make.arrive(i);
        }
    }
    world.now = T0;
    return plan;
}

void change_world(Rng& rng, World& world) {
    MessageFactory make(world, rng);
    const int boxes = static_cast<int>(world.boxes.size());
    const auto some_box = [&] { return static_cast<int>(rng.below(static_cast<std::uint64_t>(boxes))); };
    if (rng.chance(0.55)) {
        const int n = rng.range(1, 4);
        for (int i = 0; i < n; ++i) make.arrive(some_box());
    }
    if (rng.chance(0.10)) {  // another client deletes a message for good
        const int bi = some_box();
        Box& b = world.boxes[static_cast<std::size_t>(bi)];
        int f = -1;
        std::size_t pos = 0;
        if (pick_message(rng, b, f, pos)) {
            std::uint64_t key = 0;
            std::string folder;
            if (f < 0) {
                key = b.pop3[pos].key;
                b.pop3.erase(b.pop3.begin() + static_cast<std::ptrdiff_t>(pos));
            } else {
                Folder& fo = b.folders[static_cast<std::size_t>(f)];
                key = fo.msgs[pos].key;
                folder = fo.name;
                if (fo.msgs[pos].deleted_by_product) {
                    // Flagged by the product: its expunge is the product's removal.
                    fo.msgs[pos].deleted = true;
                    world.expunge(bi, fo, nullptr, false);
                    key = 0;
                } else {
                    fo.msgs.erase(fo.msgs.begin() + static_cast<std::ptrdiff_t>(pos));
                }
            }
            if (key) {
                world.other_removed(bi, key, folder);
                world.say("  box " + std::to_string(bi) + ": another client deleted k" + std::to_string(key));
            }
        }
    }
    for (int bi = 0; bi < boxes; ++bi) {
        Box& b = world.boxes[static_cast<std::size_t>(bi)];
        if (b.protocol != Protocol::Imap) continue;
        if (rng.chance(0.06)) {  // flags one \Deleted (and maybe never expunges)
            int f = -1;
            std::size_t pos = 0;
            if (pick_message(rng, b, f, pos) && f >= 0) {
                auto& m = b.folders[static_cast<std::size_t>(f)].msgs[pos];
                m.deleted = true;
                m.deleted_by_other = true;
                world.say("  box " + std::to_string(bi) + ": another client flagged k" + std::to_string(m.key) +
                          " \\Deleted");
            }
        }
        if (rng.chance(0.06)) {  // expunges a folder
            Folder& fo = b.folders[rng.below(b.folders.size())];
            if (!fo.noselect) world.expunge(bi, fo, nullptr, false);
        }
        if (rng.chance(0.05)) {  // renumbers a folder
            Folder& fo = b.folders[rng.below(b.folders.size())];
            if (!fo.noselect && !fo.msgs.empty()) {
                world.renumber(fo, fo.uidvalidity + static_cast<std::uint32_t>(rng.range(1, 1000)));
                world.say("  box " + std::to_string(bi) + ": folder " + fo.name + " renumbered, UIDVALIDITY now " +
                          std::to_string(fo.uidvalidity));
                world.remember(bi, "another client renumbered " + fo.name + " (UIDVALIDITY changed)");
            }
        }
    }
}

void advance_clock(Rng& rng, World& world) {
    if (rng.chance(0.65))
        world.now += rng.range(1, 180) * Minute;
    else
        world.now += rng.range(1, 3) * Day + rng.range(0, 600) * Minute;
}

}  // namespace mailporter::sim
