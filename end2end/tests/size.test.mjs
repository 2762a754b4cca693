// What a first visit downloads, per page, held under the front end's goal so it cannot
// creep back (docs/front-end-size.md): the release binary with its embedded site, the
// demo data, each page opened signed in by Chromium with an empty cache.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIRST_VISIT_ROUTES, firstVisit, launchBrowser, startServer } from '../support/harness.mjs';

/** At most this much JS and wasm (brotli, as sent) on a first visit to any page. */
const CODE_GOAL = 200 * 1024;
/** At most this much in all: the page, the styles, the scripts, the wasm, the icon. */
const TOTAL_GOAL = 600 * 1024;

let server;
let browser;
before(async () => {
  server = await startServer({ embedded: true });
  browser = await launchBrowser();
  server.seedDemo();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a first visit to any page downloads at most 200 KiB of code and 600 KiB in all', async () => {
  const storageState = await server.signedInState(browser, server.createUser('admin'));
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  for (const route of FIRST_VISIT_ROUTES) {
    const { wire, code } = await firstVisit(browser, server.baseURL, storageState, route);
    console.log(`${route}: ${kib(wire)} in all, ${kib(code)} JS + wasm`);
    assert.ok(code > 10 * 1024, `${route}: the wasm was counted (${kib(code)})`);
    assert.ok(code <= CODE_GOAL, `${route}: ${kib(code)} of JS + wasm, over ${kib(CODE_GOAL)}`);
    assert.ok(wire <= TOTAL_GOAL, `${route}: ${kib(wire)} in all, over ${kib(TOTAL_GOAL)}`);
  }
});
