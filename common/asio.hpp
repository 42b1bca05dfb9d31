// The one way scalelab includes Asio. Boost 1.74's awaitable.hpp uses std::exchange
// without including <utility>, which g++ 12 in C++20 mode rejects. Every scalelab file
// that needs Asio or Beast includes this header first instead of Boost's directly.
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
