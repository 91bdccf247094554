#include "sim/invariants.h"

#include <algorithm>
#include <set>
#include <map>

namespace mailporter::sim {

namespace {

std::string policy_name(const LeavePolicy& p) {
    switch (p.kind) {
        case LeavePolicy::Kind::Delete:
            return "delete";
        case LeavePolicy::Kind::Days:
            return "days:" + std::to_string(p.days);
        case LeavePolicy::Kind::Forever:
            return "forever";
        case LeavePolicy::Kind::MarkRead:
            return "mark-read";
    }
    return "?";
}

std::string days(std::int64_t seconds) {
    const auto tenths = seconds * 10 / Day;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " days";
}

}  // namespace

std::vector<const Folder*> fetched_folders(const Account& a, const Box& b) {
    // "*" leaves out the folders that hold no incoming mail (or repeat other
    // folders): a special-use role, or the usual name of one (README).
    static const std::set<std::string> Usual = {
        "sent", "sent items", "sent messages", "sent mail",  "drafts", "trash",    "deleted items", "deleted messages",
        "bin",  "junk",       "junk e-mail",   "junk email", "spam",   "all mail", "archive"};
    std::vector<const Folder*> out;
    const bool all = std::find(a.folders.begin(), a.folders.end(), "*") != a.folders.end();
    for (const auto& f : b.folders) {
        if (f.noselect) continue;
        const bool inbox = lower(f.name) == "inbox";
        const bool special = !f.special_use.empty() || Usual.count(lower(f.name));
        bool wanted = (all && !special) || (a.folders.empty() && inbox);
        for (const auto& name : a.folders)
            if (name == f.name || (inbox && lower(name) == "inbox")) wanted = true;
        if (wanted) out.push_back(&f);
    }
    return out;
}

std::string Checker::describe(std::uint64_t key) const {
    const auto& m = w_.fact(key);
    std::string s = "k" + std::to_string(key) + " (c" + std::to_string(m.content_id) + " " + m.kind + ", box " +
                    std::to_string(m.box);
    if (!m.folder.empty()) s += " " + m.folder;
    s += m.message_id.empty() ? ", no Message-ID" : ", " + m.message_id;
    return s + ")";
}

std::string Checker::context(std::uint64_t key) const {
    const auto& m = w_.fact(key);
    std::vector<std::string> parts;
    if (!m.message_id.empty()) {
        std::set<int> others;
        for (const auto& [k, o] : w_.facts)
            if (o.message_id == m.message_id && o.content_id != m.content_id) others.insert(o.content_id);
        std::string list;
        for (const int c : others) list += (list.empty() ? "c" : ", c") + std::to_string(c);
        if (!list.empty()) parts.push_back("its Message-ID is also on different content " + list);
    }
    const auto join_last = [](const std::vector<std::string>& v, std::size_t n) {
        std::string out;
        for (std::size_t i = v.size() > n ? v.size() - n : 0; i < v.size(); ++i)
            out += (out.empty() ? "" : "; ") + v[i];
        return out;
    };
    if (static_cast<std::size_t>(m.box) < w_.box_history.size() &&
        !w_.box_history[static_cast<std::size_t>(m.box)].empty())
        parts.push_back(join_last(w_.box_history[static_cast<std::size_t>(m.box)], 8));
    std::vector<std::string> office;
    const std::string tag = "of s" + std::to_string(m.content_id) + " ";
    for (const auto& h : w_.office_history)
        if (h.find(tag) != std::string::npos || h.find("crash") != std::string::npos) office.push_back(h);
    if (!office.empty()) parts.push_back("office: " + join_last(office, 3));
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? " {" : " | ") + p;
    return out.empty() ? out : out + "}";
}

void Checker::index_facts() {
    for (const auto& [key, m] : w_.facts) index_.add(m);
}

std::vector<std::string> Checker::after_step() {
    std::vector<std::string> out;
    index_facts();
    const std::string at = "step " + std::to_string(w_.step) + ": ";

    // I1 and I2: the product's deletions since the last check.
    for (; deletions_checked_ < w_.deletions.size(); ++deletions_checked_) {
        const ProductDeletion& d = w_.deletions[deletions_checked_];
        const MessageFacts& m = w_.fact(d.key);
        const Account& a = accounts_[static_cast<std::size_t>(d.box)];
        const Routing rt = route(a, m);
        const std::string fallback = a.catch_all ? a.fallback : std::string();
        if (rt.unroutable) {
            if (first_time("I1 " + std::to_string(d.key)))
                out.push_back("[I1] " + at + describe(d.key) + " removed (" + d.how +
                              ") though it routes to nobody and the account has no fallback" + context(d.key));
        } else {
            for (const auto& r : rt.rcpts) {
                if (covered(w_, index_, m.content_id, r, fallback, d.seq)) continue;
                if (first_time("I1 " + std::to_string(d.key) + " " + r))
                    out.push_back("[I1] " + at + describe(d.key) + " removed (" + d.how +
                                  ") but the office never accepted its content for " + r + context(d.key));
            }
        }
        const auto kind = a.leave.kind;
        const bool never = kind == LeavePolicy::Kind::Forever || kind == LeavePolicy::Kind::MarkRead;
        const bool early = kind == LeavePolicy::Kind::Days && d.time - m.appeared < a.leave.days * Day;
        if ((never || early) && first_time("I2 " + std::to_string(d.key)))
            out.push_back("[I2] " + at + describe(d.key) + " removed (" + d.how + ") under leave policy " +
                          policy_name(a.leave) + ", " + days(d.time - m.appeared) + " after it arrived" +
                          context(d.key));
    }

    // Content integrity and I3 over everything the office accepted.
    std::map<std::pair<int, std::string>, std::vector<const Delivery*>> counted;
    for (const auto& d : w_.office) {
        const auto* ids = index_.ids(d.relayed);
        if (!ids) {
            if (first_time("I1 content " + std::to_string(d.seq)))
                out.push_back("[I1] " + at + "the office accepted content from <" + d.mail_from + "> (step " +
                              std::to_string(d.step) +
                              ") that matches no remote message: " + std::to_string(d.relayed.size()) + " bytes");
            continue;
        }
        if (d.reply_lost || d.crashed_pass) continue;
        for (const int cid : *ids)
            for (const auto& r : d.rcpts) counted[{cid, r}].push_back(&d);
    }
    for (const auto& [what, list] : counted) {
        const auto& [cid, rcpt] = what;
        int allowed = 0;
        std::uint64_t example = 0;
        for (const auto& [key, m] : w_.facts) {
            if (m.content_id != cid) continue;
            const bool routes_there =
                possible_recipients(accounts_[static_cast<std::size_t>(m.box)], m).count(rcpt) > 0;
            if (example == 0 || routes_there) example = key;  // one that routes there, if any
            if (routes_there) ++allowed;
            if (m.message_id.empty()) allowed += m.renumbered;
            allowed += m.unrecognisable;
        }
        if (static_cast<int>(list.size()) <= allowed) continue;
        if (!first_time("I3 " + std::to_string(cid) + " " + rcpt)) continue;
        std::string steps;
        for (const auto* d : list) steps += (steps.empty() ? "" : ", ") + std::to_string(d->step);
        out.push_back("[I3] " + at + "content c" + std::to_string(cid) + " (e.g. " + describe(example) + ") accepted " +
                      std::to_string(list.size()) + " times for " + rcpt + " with none in flight at a fault (steps " +
                      steps + "), " + std::to_string(allowed) + " remote message(s) route there" + context(example));
    }
    return out;
}

std::vector<std::string> Checker::liveness() {
    std::vector<std::string> out;
    index_facts();
    const std::string at = "end: ";
    for (std::size_t bi = 0; bi < w_.boxes.size(); ++bi) {
        const Box& b = w_.boxes[bi];
        const Account& a = accounts_[bi];
        std::vector<const RemoteMessage*> present;
        for (const auto& m : b.pop3) present.push_back(&m);
        for (const auto* f : fetched_folders(a, b))
            for (const auto& m : f->msgs)
                if (!m.deleted_by_other) present.push_back(&m);
        for (const auto* rm : present) {
            const MessageFacts& m = w_.fact(rm->key);
            const Routing rt = route(a, m);
            if (rt.unroutable) continue;
            if (a.max_size_bytes > 0 && m.content.size() > static_cast<std::uint64_t>(a.max_size_bytes)) continue;
            if (w_.office_size_limit && m.content.size() + 1024 > w_.office_size_limit) continue;
            const std::string fallback = a.catch_all ? a.fallback : std::string();
            bool blocked = false, all = true;
            for (const auto& r : rt.rcpts) {
                if (office_refuses(w_, r) && fallback.empty()) {
                    blocked = true;
                    continue;
                }
                if (covered(w_, index_, m.content_id, r, fallback, 0)) continue;
                all = false;
                if (first_time("I4 " + std::to_string(m.key) + " " + r))
                    out.push_back("[I4] " + at + describe(m.key) + " is deliverable but was never accepted for " + r +
                                  " (leave " + policy_name(a.leave) + ")" + context(m.key));
            }
            if (!all || blocked) continue;
            if (a.leave.kind == LeavePolicy::Kind::Delete && !rm->deleted_by_product &&
                first_time("I4 removed " + std::to_string(m.key)))
                out.push_back("[I4] " + at + describe(m.key) + " was delivered but is still on the box (leave delete)" +
                              context(m.key));
            if (a.leave.kind == LeavePolicy::Kind::MarkRead && !rm->seen &&
                first_time("I4 seen " + std::to_string(m.key)))
                out.push_back("[I4] " + at + describe(m.key) + " was delivered but is not \\Seen (leave mark-read)" +
                              context(m.key));
        }
    }
    return out;
}

}  // namespace mailporter::sim
