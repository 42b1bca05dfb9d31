// For tests of what a fork(2) child inherits (a random generator's state, a lock):
// runs `body` in a child made by fork, and gives back what it returned.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace scalelab::testkit {

// Forks; the child runs `body` and exits. The text `body` returned, or nullopt when the
// fork failed, the child did not exit 0, or its text did not arrive whole.
std::optional<std::string> output_of_forked_child(const std::function<std::string()>& body);

}  // namespace scalelab::testkit
