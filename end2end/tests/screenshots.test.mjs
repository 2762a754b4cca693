// Every page on the demo data, in the light and the dark theme, at a desktop and a phone
// width: checked with axe (contrast included, in both themes) and kept as screenshots in
// end2end/test-results/screenshots/ for a person to look through.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { checkAccessibility, launchBrowser, startServer } from '../support/harness.mjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'screenshots');
const PAGES = [
  ['home', '/'],
  ['incidents', '/incidents'],
  ['declare', '/incidents/new'],
  ['incident', '/incidents/INC-1'],
  ['changes', '/changes'],
  ['maintenance', '/maintenance'],
  ['postmortems', '/postmortems'],
  ['action-items', '/action-items'],
  ['services', '/services'],
  ['dashboard', '/dashboard'],
  ['account', '/account'],
  ['users', '/admin/users'],
  ['severities', '/admin/severities'],
  ['alerts', '/admin/alerts'],
  ['change-sources', '/admin/change-sources'],
  ['notifications', '/admin/notifications'],
  ['status-page-admin', '/admin/status-page'],
  ['template', '/admin/postmortem-template'],
  ['audit', '/admin/audit'],
  ['about', '/admin/about'],
];

let server;
let browser;
before(async () => {
  server = await startServer();
  server.seedDemo();
  browser = await launchBrowser();
  mkdirSync(OUT, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('every page in light and dark, wide and narrow: axe-clean, photographed', async () => {
  const storageState = await server.signedInState(browser, server.createUser('admin'));
  // The demo's published postmortem, wherever it is.
  const first = await browser.newContext({ baseURL: server.baseURL, storageState });
  const list = await first.newPage();
  await list.goto('/postmortems');
  const postmortem = await list.locator('a[href$="/postmortem"]').first().getAttribute('href');
  await first.close();
  const pages = [...PAGES, ['postmortem', postmortem]];

  for (const colorScheme of ['light', 'dark']) {
    for (const [width, height, size] of [[1280, 800, 'wide'], [390, 844, 'phone']]) {
      const context = await browser.newContext({ baseURL: server.baseURL, storageState, colorScheme, viewport: { width, height } });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      for (const [name, path] of pages) {
        const res = await page.goto(path);
        assert.equal(res.status(), 200, path);
        await page.waitForSelector('html[data-hydrated]', { timeout: 15_000 });
        await checkAccessibility(page, { js: true, browser });
        await page.screenshot({ path: join(OUT, `${name}-${colorScheme}-${size}.png`), fullPage: true });
      }
      assert.deepEqual(errors, [], 'no uncaught errors');
      await context.close();
    }
  }
});
