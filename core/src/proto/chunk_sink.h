#pragma once
// How a message read from a remote box (POP3 RETR, IMAP UID FETCH) is handed
// on: chunk by chunk, as it arrives, so it is never held whole. One type for
// the sessions and the relay that feeds them to the office server.

#include <functional>
#include <string_view>

#include "mailporter/result.h"
#include "net/stream.h"

namespace mailporter::proto {

// A chunk consumer: returns an error to stop delivery (the session then reads
// and discards the rest of the message, keeping itself usable).
using ChunkSink = std::function<net::awaitable<Result<void>>(std::string_view chunk)>;

}  // namespace mailporter::proto
