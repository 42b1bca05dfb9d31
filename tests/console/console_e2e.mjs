// The console, end to end in headless Chromium (Debian's, driven by playwright-core):
// with a lab up and a load running through its balancer, open the console, check that
// cancelling a kill kills nothing and that a failed action shows its error, then kill
// app-2 from the page, wait until the page shows it killed and the balancer's share
// for it at zero, and save a screenshot. console_e2e_test.cpp brings the lab up and
// down and runs this script; it can also run by hand against any lab:
//
//   node tests/console/console_e2e.mjs --console http://127.0.0.1:8082/console \
//     --scalelab build/bin/scalelab --dir .scalelab --screenshot /tmp/console.png
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHROMIUM = '/usr/bin/chromium';
// The flags the environment notes give: no sandbox as root, and no background
// connections, which this machine's closed network refuses many at a time.
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function args() {
  const out = { timeout: 60 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const key of ['console', 'scalelab', 'dir', 'screenshot'])
    if (!out[key]) { console.error(`console_e2e: --${key} is required`); process.exit(2); }
  return out;
}

function step(text) { console.log(`[${new Date().toISOString().slice(11, 23)}] ${text}`); }

// `scalelab load` on the lab in --dir: it drives the lab's balancer and POSTs each
// one-second sample to the lab's console itself, so the violation counters show.
function startLoad(opt) {
  const load = spawn(opt.scalelab, ['--dir', opt.dir, 'load', '--rate', '60', '--users', '8', '--duration', '150s',
    '--progress', 'none', '--output', 'json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { stop: () => load.kill('SIGINT'), process: load };
}

async function main() {
  const opt = args();
  if (!existsSync(CHROMIUM)) { console.log(`SKIP: ${CHROMIUM} is missing (apt-get install chromium)`); return 77; }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    console.log('SKIP: playwright-core is not installed (npm ci at the repository root)');
    return 77;
  }

  const profile = mkdtempSync(join(tmpdir(), 'scalelab-console-chromium-'));
  const load = startLoad(opt);
  // launchPersistentContext is how Playwright takes a --user-data-dir of our own: a
  // new, empty profile for every run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1440, height: 1000 },
  });
  const errors = [];
  let page = null;
  try {
    page = context.pages()[0] ?? await context.newPage();
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    // The refused fault below is meant to fail; Chromium logs its 400 as an error.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.location().url.includes('/faults/')) errors.push(`console error: ${m.text()} (${m.location().url})`);
    });
    page.on('requestfailed', (r) => { if (!new URL(r.url()).hostname.startsWith('127.')) errors.push(`off-machine request: ${r.url()}`); });
    const timeout = Number(opt.timeout) * 1000;
    page.setDefaultTimeout(timeout);

    step(`opening ${opt.console}`);
    await page.goto(opt.console);
    const app2 = page.locator('.node[data-component="app-2"]');
    await page.locator('.node[data-component="app-2"][data-state="ready"]').waitFor();
    await page.locator('#live[data-live="ok"]').waitFor();
    step('topology shows app-2 ready; waiting for traffic in the distribution and the charts');
    await page.waitForFunction(() => {
      const row = document.querySelector('#distribution .row[data-backend="app-2"]');
      return row && Number(row.dataset.recentShare) > 0.1;
    });
    await page.waitForFunction(() => document.querySelectorAll('.instance[data-instance="app-2"] path[d^="M"]').length >= 2);
    await page.locator('#load-panel tr[data-violation="session_lost"]').waitFor();
    // Some history before the kill, so the screenshot shows the drop in context.
    await page.waitForTimeout(12000);

    step('a cancelled kill kills nothing');
    await page.locator('.node[data-component="app-3"] button[data-action="kill"]').click();
    await page.locator('dialog#confirm[open]').waitFor();
    await page.locator('#confirm-cancel').click();
    await page.locator('dialog#confirm[open]').waitFor({ state: 'detached' }).catch(() => {});
    await page.waitForTimeout(1500);
    if ((await page.locator('.node[data-component="app-3"]').getAttribute('data-state')) !== 'ready')
      throw new Error('app-3 is not ready after a cancelled kill');

    step('a failed action shows its error (bandwidth with rate 0 is refused by the fault proxy)');
    await page.locator('#fault-form select[name="type"]').selectOption('bandwidth');
    await page.locator('#fault-form input[name="attr-rate"]').fill('0');
    await page.locator('#fault-form button[type="submit"]').click();
    await page.locator('#confirm-ok').click();
    const error = page.locator('.toast.error').first();
    await error.waitFor();
    step(`error shown: ${await error.innerText()}`);
    await page.locator('#fault-form select[name="type"]').selectOption('latency');

    step('kill app-2 with SIGKILL from the page, confirming the dialog');
    await app2.locator('select.signal').selectOption('KILL');
    await app2.locator('button[data-action="kill"]').click();
    await page.locator('dialog#confirm[open]').waitFor();
    step(`dialog: ${await page.locator('#confirm-text').innerText()}`);
    await page.locator('#confirm-ok').click();

    await page.locator('.node[data-component="app-2"][data-state="killed"]').waitFor();
    step('the topology shows app-2 killed');
    await page.locator('#distribution .row[data-backend="app-2"][data-recent-share="0"]').waitFor();
    step('the balancer\'s share for app-2 is zero');
    await page.locator('#events tr[data-kind="kill"][data-event-component="app-2"]').waitFor();
    // A few more seconds so the charts show the drop, then the artifact.
    await page.waitForTimeout(6000);
    await page.locator('.toast .close').evaluateAll((closes) => closes.forEach((c) => c.click()));
    await page.screenshot({ path: opt.screenshot, fullPage: true });
    step(`screenshot: ${opt.screenshot}`);
    const board = await (await fetch(new URL('/console/api/load', opt.console))).json();
    if (board.source !== 'scalelab load' || !(board.run?.samples > 0)) throw new Error(`the load did not report: ${JSON.stringify(board)}`);
    step(`${board.run.samples} load samples reached the console from scalelab load`);
    if (errors.length) throw new Error(errors.join('\n'));
    return 0;
  } catch (e) {
    // What the page showed when it went wrong is the first thing to look at.
    const failed = opt.screenshot.replace(/\.png$/, '') + '-failed.png';
    if (page) await page.screenshot({ path: failed, fullPage: true }).then(() => step(`screenshot at failure: ${failed}`), () => {});
    throw e;
  } finally {
    load.stop();
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => { console.error(`FAILED: ${e.stack || e}`); process.exit(1); });
