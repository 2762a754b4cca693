import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('the home page renders the overview', async (t) => {
    await t.signIn(user('viewer'));
    assert.equal(await t.page.title(), 'Vigil');
    assert.equal(await t.page.locator('h1').textContent(), 'Overview');
    await t.page.getByTestId('home-active').waitFor();
    assert.equal(await t.page.getByTestId('database').count(), 0, 'instance facts are on the admin About page');
    const css = await t.page.evaluate(() => getComputedStyle(document.body).fontFamily);
    assert.match(css, /system-ui/, 'the stylesheet is served and applied');
  });

  flow('an unknown path shows the 404 page and leads back home', async (t) => {
    await t.signIn(user('viewer'));
    await t.visit('/definitely/not/here', { status: 404 });
    assert.equal(await t.page.locator('h1').textContent(), 'Page not found');
    assert.equal(await t.page.title(), 'Page not found · Vigil');

    await t.page.getByRole('link', { name: 'Back to the overview' }).click();
    await t.page.waitForURL(`${t.baseURL}/`);
    await t.page.locator('h1', { hasText: 'Overview' }).waitFor();
    await t.settle();
  });

  flow('the primary navigation marks the current page', async (t) => {
    await t.signIn(user('viewer'));
    const nav = t.page.getByRole('navigation', { name: 'Primary' });
    const overview = nav.getByRole('link', { name: 'Overview' });
    const incidents = nav.getByRole('link', { name: 'Incidents' });
    assert.equal(await overview.getAttribute('aria-current'), 'page');
    assert.equal(await incidents.getAttribute('aria-current'), null);

    // Plain links, with JavaScript or without: the server renders the next page with the
    // mark in place (islands: no client router, docs/front-end-size.md).
    await incidents.click();
    await t.page.waitForURL(`${t.baseURL}/incidents`);
    await t.page.locator('h1', { hasText: 'Incidents' }).waitFor();
    await t.settle();
    assert.equal(await incidents.getAttribute('aria-current'), 'page');
    assert.equal(await overview.getAttribute('aria-current'), null);
  });

  flow('the theme toggle works only once hydrated, and is remembered', async (t) => {
    await t.visit('/login');
    const toggle = t.page.locator('.theme-toggle');
    if (!t.js) {
      assert.equal(await toggle.count(), 0, 'no dead button without JavaScript');
      assert.equal(await t.page.locator('html').getAttribute('data-hydrated'), null);
      return;
    }
    await toggle.click();
    assert.equal(await t.page.locator('html').getAttribute('data-theme'), 'light');
    await toggle.click();
    assert.equal(await t.page.locator('html').getAttribute('data-theme'), 'dark');
    await checkDarkBackground(t.page);
    await t.page.reload();
    await t.settle();
    assert.equal(await t.page.locator('html').getAttribute('data-theme'), 'dark', 'the server renders the remembered theme');
    await toggle.click();
    assert.equal(await t.page.locator('html').getAttribute('data-theme'), null, 'back to following the system');
  });
});

async function checkDarkBackground(page) {
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 120, `dark theme background is dark: ${bg}`);
}
