// Asio for scalelab's coroutine code, with a Boost bug worked around: Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility>, which g++ 12 in C++20
// mode rejects, so this header includes <utility> before any Asio header. Include it,
// rather than boost/asio.hpp, wherever coroutines are used.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
// Boost 1.74 has no experimental::as_tuple (it came in 1.78): take errors as values
// with redirect_error(use_awaitable, ec) instead.
#include <boost/asio/redirect_error.hpp>
