#pragma once
// Runs one coroutine to completion on an io_context (scripted tests drive
// sessions step by step this way).
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

namespace mailporter::test {

template <class T>
T run_coro(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
    std::optional<T> out;
    boost::asio::co_spawn(
        io,
        [&out, op = std::move(op)]() mutable -> boost::asio::awaitable<void> { out.emplace(co_await std::move(op)); },
        boost::asio::detached);
    io.restart();
    io.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}

}  // namespace mailporter::test
