import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('the home page shows what is on fire and my part; a phone gets a menu and runbooks first', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    await t.signIn(user('admin'));

    // A service with a runbook, and an incident on it that I declare (and so command).
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Ledger ${mode}`);
    await t.page.getByLabel('Runbooks').fill(`Restart the ledger | https://runbooks.example.com/ledger-${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Ledger ${mode}` }).waitFor();
    await t.settle();
    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Ledger writes fail (${mode})`);
    await t.page.getByText('SEV2', { exact: true }).click();
    await t.choose(t.page.getByLabel('Affected services'), `Ledger ${mode}`);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incident = new URL(t.page.url()).pathname;

    await t.visit('/');
    const active = t.page.getByTestId('home-active');
    const row = active.getByRole('listitem').filter({ hasText: `Ledger writes fail (${mode})` });
    assert.match(await row.textContent(), /SEV2/);
    assert.match(await row.textContent(), /You: Incident commander/);
    assert.match(await row.textContent(), /so far/);
    assert.match(await t.page.getByTestId('home-lede').textContent(), /incidents? (is|are) active/);
    for (const section of ['home-items', 'home-postmortems', 'home-budgets', 'home-resolved']) {
      await t.page.getByTestId(section).waitFor();
    }

    // At 390 px: the navigation is one Menu, the header one row.
    await t.page.setViewportSize({ width: 390, height: 844 });
    const header = await t.page.locator('.site-header').boundingBox();
    assert.ok(header.height <= 80, `the header is one row at 390 px (${header.height} px)`);
    assert.equal(await t.page.locator('.site-nav').isVisible(), false);
    const menu = t.page.locator('details.site-menu');
    await menu.getByText('Menu', { exact: true }).click();
    const links = t.page.getByRole('navigation', { name: 'Primary' });
    for (const name of ['Overview', 'Incidents', 'Reliability', 'Users', 'About', 'Your account']) {
      assert.ok(await links.getByRole('link', { name, exact: true }).isVisible(), `${name} is in the menu`);
    }
    await t.settle(); // axe, with the menu open
    await links.getByRole('link', { name: 'Incidents', exact: true }).click();
    await t.page.waitForURL(`${t.baseURL}/incidents`);
    await t.page.locator('h1', { hasText: 'Incidents' }).waitFor();
    await t.settle();
    assert.equal(await menu.getAttribute('open'), null, 'the menu closes on the next page');

    // The incident page: the runbooks before the timeline.
    await t.visit(incident);
    const runbooks = await t.page.getByTestId('runbooks').boundingBox();
    const timeline = await t.page.locator('#timeline').boundingBox();
    assert.ok(runbooks.y < timeline.y, 'runbooks come before the timeline on a phone');
    await t.page.setViewportSize({ width: 1280, height: 800 });
    const wideRunbooks = await t.page.getByTestId('runbooks').boundingBox();
    const wideTimeline = await t.page.locator('#timeline').boundingBox();
    assert.ok(wideRunbooks.x > wideTimeline.x, 'on a wide screen they top the side column');
  });

  flow('admin pages sit under one Admin menu; the instance facts are on About', async (t) => {
    await t.signIn(user('admin'));
    const nav = t.page.getByRole('navigation', { name: 'Primary' });
    assert.equal(await nav.getByRole('link', { name: 'Audit log' }).isVisible(), false, 'closed until asked');
    await nav.getByText('Admin', { exact: true }).click();
    await nav.getByRole('link', { name: 'About' }).click();
    await t.page.waitForURL(`${t.baseURL}/admin/about`);
    await t.settle();
    assert.equal(await t.page.locator('h1').textContent(), 'About this instance');
    assert.equal(await t.page.getByTestId('database').textContent(), 'SQLite');
    assert.equal(await nav.getByRole('link', { name: 'About' }).isVisible(), false, 'the menu closes');
    assert.equal(await t.page.locator('.nav-menu__summary--current').count(), 1, 'Admin is marked as the current section');

    // Everyone else has no Admin menu.
    await t.page.context().clearCookies();
    await t.signIn(user('viewer'));
    assert.equal(await nav.getByText('Admin', { exact: true }).count(), 0);
  });

  flow('keyboard only: declare, add a note, resolve; shortcuts once hydrated', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    await t.signIn(user('admin'));
    const page = t.page;
    // Set-up, not part of the keyboard run: a service to name.
    await t.visit('/services/new');
    await page.getByLabel('Name', { exact: true }).fill(`Keys ${mode}`);
    await page.getByRole('button', { name: 'Add service' }).click();
    await page.getByRole('heading', { level: 1, name: `Keys ${mode}` }).waitFor();
    await t.visit('/');
    if (t.js) {
      // `?` lists the shortcuts in a dialog that Escape closes.
      await page.keyboard.press('?');
      const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await dialog.waitFor();
      assert.match(await dialog.textContent(), /Declare an incident/);
      await t.settle(); // axe, with the dialog open
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      // `g i` goes to the incidents, `/` focuses their search; typed there, `n` is a letter.
      await page.keyboard.press('g');
      await page.keyboard.press('i');
      await page.waitForURL(`${t.baseURL}/incidents`);
      await page.locator('h1', { hasText: 'Incidents' }).waitFor();
      // A key pressed before the shortcuts island hydrates goes nowhere: wait, as a user would see.
      await page.waitForSelector('html[data-hydrated]', { timeout: 15_000 });
      await page.keyboard.press('/');
      await waitForFocus(page, '#filter-q');
      await page.keyboard.type('n');
      assert.equal(await page.locator('#filter-q').inputValue(), 'n');
      assert.equal(new URL(page.url()).pathname, '/incidents', 'no shortcut while typing');
      await page.keyboard.press('Backspace');
      await page.keyboard.press('Shift+Tab');
      // `n` declares, and the title field has the focus.
      await page.keyboard.press('n');
    } else {
      await tabTo(page, page.getByRole('link', { name: 'Declare incident' }));
      await page.keyboard.press('Enter');
    }
    await page.waitForURL(`${t.baseURL}/incidents/new`);
    if (t.js) await page.waitForSelector('html[data-hydrated]', { timeout: 15_000 });
    await waitForFocus(page, '[name="form[title]"]');
    await page.keyboard.type(`Keyboard outage (${mode})`);
    await tabTo(page, page.getByLabel('Affected services'));
    await page.keyboard.type(`Keys ${mode}`);
    if (t.js) {
      // The suggestion, picked with the arrow keys and Enter.
      await page.getByRole('option', { name: new RegExp(`Keys ${mode}`) }).waitFor();
      await page.keyboard.press('ArrowDown');
      await page.locator('[role=option][aria-selected=true]', { hasText: `Keys ${mode}` }).waitFor();
      await page.keyboard.press('Enter');
    }
    await tabTo(page, page.getByRole('button', { name: 'Declare incident' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    assert.equal(await page.locator('h1').textContent(), `Keyboard outage (${mode})`);

    await tabTo(page, page.getByLabel('Add a note (Markdown)'));
    await page.keyboard.type('Restarted the ledger');
    await tabTo(page, page.getByRole('button', { name: 'Add note' }));
    await page.keyboard.press('Enter');
    await page.getByTestId('timeline').locator('p', { hasText: 'Restarted the ledger' }).waitFor();
    await t.settle();

    await tabTo(page, page.locator('#next-status'));
    await page.keyboard.type('Resolved');
    assert.equal(await page.locator('#next-status').inputValue(), 'resolved');
    await tabTo(page, page.getByRole('button', { name: 'Change status' }));
    await page.keyboard.press('Enter');
    await page.locator('.incident__header .status-badge', { hasText: 'Resolved' }).waitFor();
    await t.settle();
  });
});

/**
 * Presses Tab (or Shift+Tab, when the focus is already past it) until `locator` has the
 * focus: the way a keyboard user gets there.
 */
async function tabTo(page, locator, max = 200) {
  const target = await locator.elementHandle();
  const back = await target.evaluate((el) => {
    const active = document.activeElement;
    return !!active && active !== document.body
      && Boolean(el.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  for (let i = 0; i < max; i += 1) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  assert.fail(`the keyboard never reached ${locator}`);
}

async function waitForFocus(page, selector) {
  await page.waitForFunction((s) => document.activeElement?.matches(s), selector, { timeout: 5_000 });
}
