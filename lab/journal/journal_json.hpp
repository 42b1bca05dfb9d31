// The journal's JSON (lab/experiment/JOURNAL.md): reading a document into journal.hpp's
// types, checking every field on the way, and writing the types back.
//
// Reading: required are `schema` ("scalelab.journal/1"), `experiment` with a string
// `title`, and `verdict` with a `status` of completed, deviated or aborted, plus
// `elapsed_s` (or `t`) of each sample and `t_s` of each event. Everything else is
// optional and defaults to empty, zero or absent; a field that is present with the
// wrong type is an error too (null counts as absent). An error names the field, so a
// bad journal fails with one clear message before anything is drawn from it.
//
// Writing: a journal read from what to_json wrote is written back byte for byte (the
// tests pin this with a journal from a real run). Fields the reader defaulted are
// written with their defaults.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "lab/journal/journal.hpp"

namespace scalelab::journal {

// Throws std::invalid_argument naming the field: "journal field 'runs[1].verdict.status'
// is missing". `root` is the journal's own path in messages ("runs[1]" in a demo).
Journal parse_journal(const nlohmann::json& journal, const std::string& root = "");
// Reads a scalelab.demo/1 document; each run as parse_journal.
Demo parse_demo(const nlohmann::json& demo);
// One sample as lab/load writes it (the journal's series[] element).
Sample parse_sample(const nlohmann::json& sample, const std::string& path = "sample");
// lab/load's LoadResult JSON without its samples; an empty object reads as absent.
std::optional<LoadRun> parse_load_run(const nlohmann::json& load, const std::string& path = "load");

nlohmann::json to_json(const Journal& journal);
nlohmann::json to_json(const Demo& demo);
nlohmann::json to_json(const Sample& sample);
// A sample's "db": {"server_connections", "budget", "pool_connections", "pool_waiting"},
// each present when read.
nlohmann::json db_json(const DbConnections& db);
nlohmann::json to_json(const ProbeResult& probe);

// The text of a journal file: two-space indent, invalid UTF-8 replaced, and a newline.
std::string journal_text(const nlohmann::json& document);

}  // namespace scalelab::journal
