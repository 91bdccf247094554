#pragma once
// What every line-protocol client session has in common: the stream, the
// transcript, an explicit State for logs and status, and how it fails
// (close the connection, enter State::Failed, hand the error back).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <optional>
#include <utility>

#include "net/stream.h"

namespace mailporter::proto {

template <class StateEnum>
class SessionBase {
public:
    StateEnum state() const { return state_; }
    const std::optional<net::CertInfo>& certificate() const {
        static const std::optional<net::CertInfo> none;
        return stream_ ? stream_->certificate() : none;
    }
    bool tls_active() const { return stream_ && stream_->tls_active(); }
    // A time budget for the next phase (see net::Stream::set_budget); a
    // no-op before the connection exists.
    void set_budget(std::chrono::steady_clock::time_point at, std::string what) {
        if (stream_) stream_->set_budget(at, std::move(what));
    }
    void clear_budget() {
        if (stream_) stream_->clear_budget();
    }
    // How many bytes of a message may be read and thrown away to keep the
    // session usable after its delivery stopped (a sink error, a size
    // bound); beyond that the connection is closed instead (0: no bound).
    void set_discard_limit(std::uint64_t bytes) { discard_limit_ = bytes; }
    // Closes the connection; the session is unusable afterwards.
    void abort() {
        if (stream_) stream_->close();
        state_ = StateEnum::Failed;
    }

protected:
    SessionBase(boost::asio::io_context& io, net::Transcript transcript, StateEnum initial)
        : io_(io), transcript_(std::move(transcript)), state_(initial) {}
    ~SessionBase() = default;

    Error fail(Error e) {
        abort();
        return e;
    }

    boost::asio::io_context& io_;
    net::Transcript transcript_;
    std::unique_ptr<net::Stream> stream_;
    StateEnum state_;
    std::uint64_t discard_limit_ = 0;
};

}  // namespace mailporter::proto
