// What /proc says about a process, for tests that bound a server's memory under
// hostile input: its resident set size and the peak of it, in KiB (-1 when the process
// is gone).
#pragma once

#include <sys/types.h>

namespace scalelab::testkit {

long rss_kib(pid_t pid);       // VmRSS
long peak_rss_kib(pid_t pid);  // VmHWM

}  // namespace scalelab::testkit
