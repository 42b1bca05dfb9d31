// Journals for the report tests, built in C++ the way the runner writes them
// (lab/experiment/JOURNAL.md): a realistic kill-and-restart run, an empty one, one
// full of hostile strings, and the demo's combined document.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace scalelab::testkit {

// Action names in the realistic journal (each must be a marker on every chart).
inline constexpr const char* kKillAction = "kill app-2";
inline constexpr const char* kRestartAction = "restart app-2";
inline constexpr const char* kRollbackAction = "scale back to 3";

// 30 one-second samples of 3 instances; app-2 is killed at 10 s and restarted at 20 s.
// `mode` "shared" has no violations; "local" loses sessions (and some cart writes)
// after the kill; "local+sticky" loses sessions pinned to app-2. The verdict follows.
nlohmann::json realistic_journal(const std::string& mode = "local");

// A run that aborted before any load: no series, no actions, no events, no "after".
nlohmann::json empty_journal();

// Every string field carries markup, quotes and an invalid UTF-8 byte.
inline constexpr const char* kHostile = "</script><svg onload=alert(1)>&<>\"' \xff<script>x</script>";
nlohmann::json hostile_journal();

// scalelab.demo/1 with the three modes of realistic_journal.
nlohmann::json demo_document();

}  // namespace scalelab::testkit
