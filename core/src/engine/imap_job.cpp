#include "engine/fetch_job.h"

namespace mailporter::relay_detail {

awaitable<void> run_imap_job(Shared&, const Account& a, PassReport& r) {
    r.account = a.name;
    r.outcome = make_error(Errc::ConfigInvalid, "IMAP accounts are not supported yet", ErrorScope::Account, Retry::Never);
    co_return;
}

}  // namespace mailporter::relay_detail
