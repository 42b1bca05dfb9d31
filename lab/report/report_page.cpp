// The page shell and its stylesheet. Colours with meaning (held, deviated, pass, fail)
// always come with a word too, and print-color-adjust keeps them on paper.
#include "lab/report/report_page.hpp"

#include "lab/report/html_text.hpp"

namespace scalelab::report {
namespace {

constexpr const char* kStyle = R"css(
:root { --fg: #1b1b1b; --muted: #5a5a5a; --rule: #d6d6d6; --soft: #f5f5f4;
        --held: #00704f; --deviated: #b34700; --aborted: #3d3d3d; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--fg); background: #fff;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7em; margin: 0 0 .3em; line-height: 1.2; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; margin: 1.8em 0 .6em; padding-bottom: .2em; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
p { margin: .4em 0; }
.description { font-size: 1.05em; max-width: 70em; }
.na { color: var(--muted); }
.tags { list-style: none; padding: 0; margin: .5em 0; display: flex; flex-wrap: wrap; gap: 6px; }
.tags li { background: var(--soft); border: 1px solid var(--rule); border-radius: 999px; padding: 1px 10px; font-size: .85em; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: .6em 0; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.verdict { display: flex; align-items: flex-start; gap: 14px; margin: 1em 0; padding: 12px 16px;
           border: 2px solid; border-radius: 8px; }
.verdict.held { border-color: var(--held); background: #eef7f3; }
.verdict.deviated { border-color: var(--deviated); background: #fcf1ea; }
.verdict.aborted { border-color: var(--aborted); background: #f1f1f1; }
.verdict p { margin: 0 0 .2em; }
.verdict-sentence { font-weight: 600; }
.verdict-error { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; white-space: pre-wrap; overflow-wrap: anywhere; }
.badge { display: inline-block; color: #fff; font-weight: 700; letter-spacing: .04em; white-space: nowrap;
         padding: 3px 10px; border-radius: 5px; font-size: .95em; }
.badge.held { background: var(--held); }
.badge.deviated { background: var(--deviated); }
.badge.aborted { background: var(--aborted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin: .8em 0; }
.tile { border: 1px solid var(--rule); border-left: 5px solid #0072B2; border-radius: 6px; padding: 8px 12px; }
.tile.bad { border-left-color: var(--deviated); }
.tile.good { border-left-color: var(--held); }
.tile-label { color: var(--muted); font-size: .85em; overflow-wrap: anywhere; }
.tile-value { font-size: 1.45em; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile-note { color: var(--muted); font-size: .8em; }
.settings { display: flex; flex-wrap: wrap; gap: 12px 40px; }
table { border-collapse: collapse; margin: .4em 0 1em; }
caption { text-align: left; font-weight: 650; padding-bottom: 4px; }
table.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: 2px 18px 2px 0; vertical-align: top; }
table.kv td { padding: 2px 0; overflow-wrap: anywhere; }
table.data { width: 100%; font-size: .9em; }
table.data th, table.data td { border-bottom: 1px solid var(--rule); padding: 5px 8px; text-align: left; vertical-align: top; }
table.data thead th { background: var(--soft); border-bottom: 2px solid #bdbdbd; white-space: nowrap; }
table.data tr.phase th { background: #fafafa; font-weight: 650; padding-top: 10px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.detail { overflow-wrap: anywhere; max-width: 34em; }
td.pass, td.fail { font-weight: 700; white-space: nowrap; }
td.pass { color: var(--held); background: #eef7f3; }
td.fail { color: var(--deviated); background: #fcf1ea; }
td.bad { color: var(--deviated); font-weight: 650; }
td .rate { color: var(--muted); font-size: .85em; display: block; }
figure.chart-figure { margin: 0 0 18px; break-inside: avoid; page-break-inside: avoid; }
figure.chart-figure figcaption { font-weight: 650; margin-bottom: 2px; }
svg.chart { display: block; max-width: 900px; height: auto; }
svg.chart .axis-label { fill: #333; }
.charts-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 6px 18px; }
.charts-grid svg.chart { max-width: 100%; }
.chart-key { color: var(--muted); font-size: .88em; }
.key-action, .key-rollback { display: inline-block; width: 0; height: 1.1em; vertical-align: -.2em; margin: 0 4px 0 10px;
                             border-left: 2px dashed #222; }
.key-rollback { border-left-style: dotted; }
.key-event { color: #D55E00; margin-left: 10px; }
.conclusions li { margin: .3em 0; }
.run-heading { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
details { margin: .6em 0; }
details > summary { cursor: pointer; font-weight: 650; }
footer { margin-top: 3em; color: var(--muted); font-size: .8em; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table.data { font-size: 9pt; }
  tr { break-inside: avoid; }
  .charts-grid { grid-template-columns: repeat(3, 1fr); }
}
)css";

}  // namespace

std::string html_page(const std::string& title, const std::string& body_html) {
  std::string page;
  page.reserve(body_html.size() + 8192);
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>" + html::escape(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n";
  page += "<body>\n<main>\n" + body_html + "\n<footer>Rendered by scalelab from its experiment journal. "
          "This file is self-contained and works offline.</footer>\n</main>\n</body>\n</html>\n";
  return page;
}

}  // namespace scalelab::report
