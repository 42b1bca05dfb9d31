// The live console: one page, served by the lab's supervisor on its control
// port, that shows the topology, per-instance charts, the balancer's distribution,
// load violations and the event log, and whose buttons call the control API.
//
// attach_console is a lab::ApiExtension: `scalelab supervise` passes it to
// run_supervisor, which calls it with the control API's server before serving. It
// adds these routes (documented in lab/README.md):
//   GET  /                            redirects to /console
//   GET  /console                     the page; GET /console/NAME its CSS and JS
//   GET  /console/api/snapshot        ?since=T&events=SEQ: status, new events, new chart
//                                     frames, balancer, faults, load; the page polls it
//   GET  /console/api/series          ?since=T: the chart frames alone
//   POST /console/api/load-sample     ?source=NAME, a lab/load Sample: the violation counters
//   GET  /console/api/load            the load board
// and starts the sampler thread. The console's state lives as long as the server's
// routes: it is destroyed, and the sampler stopped, when the control API is, which
// run_supervisor does before the Supervisor goes.
#pragma once

namespace httplib {
class Server;
}

namespace scalelab::lab {
class Supervisor;
}

namespace scalelab::console {

void attach_console(httplib::Server& server, lab::Supervisor& supervisor);

}  // namespace scalelab::console
