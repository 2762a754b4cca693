import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkAccessibility, launchBrowser, startServer } from '../support/harness.mjs';

// The API reference is a plain server-rendered page (no script, no hydration), so it is
// driven directly rather than through the suite's hydrating driver.
describe('api reference', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const js of [true, false]) {
    test(`the OpenAPI document reads as a page, signed out (JavaScript ${js ? 'on' : 'off'})`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: js, baseURL: server.baseURL });
      try {
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (err) => errors.push(err));
        const res = await page.goto('/api/v1/docs');
        assert.equal(res.status(), 200);
        await page.getByRole('heading', { level: 1, name: 'Vigil API' }).waitFor();
        await checkAccessibility(page, { js: false, browser });

        await page.getByRole('link', { name: 'PATCH /api/v1/action-items/{id}' }).click();
        assert.match(page.url(), /#patch-api-v1-action-items--id$/);
        const section = page.locator('#patch-api-v1-action-items--id');
        await section.getByText('409').waitFor();
        await section.getByRole('link', { name: 'ActionItemPatch' }).click();
        await page.locator('#schema-ActionItemPatch').getByText('null clears the due date.').waitFor();

        await page.getByRole('link', { name: '/api/v1/openapi.json' }).first().waitFor();
        const doc = await (await fetch(`${server.baseURL}/api/v1/openapi.json`)).json();
        assert.match(doc.openapi, /^3\.1/);
        assert.ok(doc.paths['/api/v1/incidents'].post.requestBody, 'declaring documents its body');
        assert.deepEqual(errors.map(String), []);
      } finally {
        await context.close();
      }
    });
  }
});
