#include "sim/world.h"

#include <algorithm>

namespace mailporter::sim {

Folder* Box::folder(std::string_view name) {
    for (auto& f : folders)
        if (f.name == name || (lower(f.name) == "inbox" && lower(name) == "inbox")) return &f;
    return nullptr;
}

void World::remember(int box, const std::string& what) {
    const std::string entry = "step " + std::to_string(step) + ": " + what;
    if (box < 0) {
        office_history.push_back(entry);
        return;
    }
    if (box_history.size() < boxes.size()) box_history.resize(boxes.size());
    box_history[static_cast<std::size_t>(box)].push_back(entry);
}

void World::product_removed_pop3(int box, std::uint64_t key) {
    auto& drop = boxes[static_cast<std::size_t>(box)].pop3;
    const auto it = std::find_if(drop.begin(), drop.end(), [key](const RemoteMessage& m) { return m.key == key; });
    if (it == drop.end()) return;
    drop.erase(it);
    const auto seq = tick();
    deletions.push_back({seq, step, now, key, box, "DELE+QUIT"});
    removals.push_back({seq, step, now, key, box, "", true});
    say("  box " + std::to_string(box) + ": message k" + std::to_string(key) + " removed by the product (DELE+QUIT)");
}

void World::product_flagged(int box, RemoteMessage& m, const std::string& folder) {
    if (m.deleted_by_product) return;
    m.deleted = true;
    m.deleted_by_product = true;
    deletions.push_back({tick(), step, now, m.key, box, "STORE \\Deleted in " + folder});
    say("  box " + std::to_string(box) + ": message k" + std::to_string(m.key) +
        " flagged \\Deleted by the product in " + folder);
}

std::vector<std::uint32_t> World::expunge(int box, Folder& f, const std::set<std::uint32_t>* only, bool by_client) {
    std::vector<std::uint32_t> seqs;
    std::uint32_t seqno = 1;
    for (auto it = f.msgs.begin(); it != f.msgs.end();) {
        if (it->deleted && (!only || only->count(it->uid))) {
            seqs.push_back(seqno);
            // A message the product flagged is the product's removal, whoever
            // expunges it; one only another client flagged is theirs.
            const bool product = it->deleted_by_product;
            removals.push_back({tick(), step, now, it->key, box, f.name, product});
            say("  box " + std::to_string(box) + ": message k" + std::to_string(it->key) + " expunged from " + f.name +
                (by_client ? " by the product's EXPUNGE" : " by another client") +
                (product ? " (flagged by the product)" : " (flagged by another client)"));
            it = f.msgs.erase(it);
        } else {
            ++it;
            ++seqno;
        }
    }
    return seqs;
}

void World::other_removed(int box, std::uint64_t key, const std::string& folder) {
    removals.push_back({tick(), step, now, key, box, folder, false});
}

void World::renumber(Folder& f, std::uint32_t uidvalidity) {
    f.uidvalidity = uidvalidity;
    std::uint32_t uid = 1;
    for (auto& m : f.msgs) {
        m.uid = uid++;
        ++facts.at(m.key).renumbered;
    }
    f.uidnext = uid;
}

std::string crlf_normalised(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 16);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += "\r\n";
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else if (s[i] == '\n') {
            out += "\r\n";
        } else {
            out += s[i];
        }
    }
    if (!out.empty() && out.back() != '\n') out += "\r\n";
    return out;
}

std::string without_trace(const std::string& relayed) {
    if (relayed.rfind("Received: from ", 0) != 0) return relayed;
    const auto first_end = relayed.find("\r\n");
    if (first_end == std::string::npos || relayed.substr(0, first_end).find(" by MailPorter ") == std::string::npos)
        return relayed;
    std::size_t pos = first_end + 2;
    while (pos < relayed.size() && (relayed[pos] == ' ' || relayed[pos] == '\t')) {
        const auto nl = relayed.find("\r\n", pos);
        if (nl == std::string::npos) return {};
        pos = nl + 2;
    }
    return relayed.substr(pos);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace mailporter::sim
