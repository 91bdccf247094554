#pragma once
// What every line-protocol client session has in common: the stream, the
// transcript, an explicit State for logs and status, and how it fails
// (close the connection, enter State::Failed, hand the error back).

#include <memory>
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
};

}  // namespace mailporter::proto
