import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('declare an incident, add a note and resolve it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    await t.signIn(user('admin'));

    // An admin adds the affected service.
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Checkout ${mode}`);
    await t.page.getByLabel('Owner team').fill('Payments');
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Checkout ${mode}` }).waitFor();
    await t.settle();

    // Declare from the incident list.
    await t.visit('/incidents');
    await t.page.getByRole('link', { name: 'Declare incident' }).click();
    await t.page.waitForURL(`${t.baseURL}/incidents/new`);
    await t.settle();
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.getByText('Give the incident a short title.').waitFor();
    await t.settle();
    await t.page.getByLabel('Title').fill(`Checkout returns 502 (${mode})`);
    await t.page.getByText('SEV1', { exact: true }).click();
    await t.choose(t.page.getByLabel('Affected services'), `Checkout ${mode}`);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    assert.equal(await t.page.locator('h1').textContent(), `Checkout returns 502 (${mode})`);
    assert.equal(await t.page.getByTestId('commander').textContent(), user('admin').name);
    const timeline = t.page.getByTestId('timeline');
    assert.match(await timeline.textContent(), /Declared as SEV1/);

    // Correct the facts afterwards.
    await t.page.getByText('Edit details and times').click();
    await t.page.getByLabel('Title', { exact: true }).fill(`Checkout 502s (${mode})`);
    await t.page.getByLabel('Impact started').fill('2000-01-01T00:00');
    await t.page.getByRole('button', { name: 'Save details' }).click();
    await t.page.locator('h1', { hasText: `Checkout 502s (${mode})` }).waitFor();
    await t.settle();
    assert.equal(await t.page.locator('h1').textContent(), `Checkout 502s (${mode})`);
    assert.match(await timeline.textContent(), /Title changed from/);
    assert.match(await timeline.textContent(), /Impact started changed from unset to 2000-01-01 00:00 UTC/);

    // A note, in Markdown.
    await t.page.getByLabel('Add a note (Markdown)').fill('Rolled back **deploy 4412**');
    await t.page.getByLabel('Marker').selectOption('repair');
    await t.page.getByRole('button', { name: 'Add note' }).click();
    await timeline.locator('strong', { hasText: 'deploy 4412' }).waitFor();
    await t.settle();

    // Notes are corrected with their history kept, and deleted softly.
    const note = timeline.locator('li', { hasText: 'deploy 4412' });
    await note.getByText('Edit', { exact: true }).click();
    await note.getByLabel('Note text').fill('Rolled back **deploy 4413**');
    await note.getByRole('button', { name: 'Save note' }).click();
    await timeline.locator('strong', { hasText: 'deploy 4413' }).waitFor();
    await t.settle();
    assert.match(await timeline.locator('li', { hasText: 'deploy 4413' }).textContent(), /edited/);
    // A correction started before someone else's was saved is refused, and says so.
    const edited = timeline.locator('li', { hasText: 'deploy 4413' });
    // Still open after the save with JavaScript on (the same element), closed after the
    // reload without.
    await edited.locator('details.timeline__edit').evaluate((details) => { details.open = true; });
    await edited.locator('input[name="version"]').evaluate((input) => { input.value = '1'; });
    await edited.getByLabel('Note text').fill('Rolled back **deploy 9999**');
    await edited.getByRole('button', { name: 'Save note' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'Someone else edited this note' }).waitFor();
    await t.settle();
    assert.equal(await timeline.locator('strong', { hasText: 'deploy 9999' }).count(), 0, 'nothing saved');
    assert.equal(await timeline.locator('strong', { hasText: 'deploy 4413' }).count(), 1);
    await t.page.getByLabel('Add a note (Markdown)').fill('A mistaken note');
    await t.page.getByRole('button', { name: 'Add note' }).click();
    const mistaken = timeline.locator('li', { hasText: 'A mistaken note' });
    await mistaken.waitFor();
    await t.settle();
    await mistaken.getByRole('button', { name: 'Delete note' }).click();
    await mistaken.locator('.badge', { hasText: 'deleted' }).waitFor();
    await t.settle();

    // Through the lifecycle to resolved.
    for (const status of ['Investigating', 'Monitoring', 'Resolved']) {
      await t.page.getByLabel('Status', { exact: true }).selectOption({ label: status });
      await t.page.getByRole('button', { name: 'Change status' }).click();
      await t.page.locator('.incident__facts .status-badge', { hasText: status }).waitFor();
      await t.settle();
    }
    const text = await timeline.textContent();
    assert.match(text, /Status changed from Triage to Investigating/);
    assert.match(text, /Status changed from Monitoring to Resolved/);

    // The list shows it, resolved, after any open incident.
    await t.visit('/incidents?status=resolved');
    await t.page.getByRole('link', { name: new RegExp(`Checkout 502s \\(${mode}\\)`) }).waitFor();
  });
});

suite(({ flow, user, browser }) => {
  flow('a second responder sees a new note without reloading', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    await t.signIn(user('admin'));
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Live ${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Live ${mode}` }).waitFor();
    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Live incident (${mode})`);
    await t.choose(t.page.getByLabel('Affected services'), `Live ${mode}`);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incidentUrl = t.page.url();

    // The second responder opens the same incident in a browser of their own.
    const other = await browser().newContext({ javaScriptEnabled: t.js, baseURL: t.baseURL, timezoneId: 'UTC' });
    try {
      const page = await other.newPage();
      const responder = user('responder');
      await page.goto('/login');
      await page.getByLabel('Email').fill(responder.email);
      await page.getByLabel('Password').fill(responder.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${t.baseURL}/`);
      await page.goto(incidentUrl);
      if (t.js) {
        await page.waitForSelector('html[data-hydrated]');
        await page.getByLabel('Add a note (Markdown)').fill('my unsent draft');
        await page.evaluate(() => { window.__sameDocument = true; });
      }

      await t.page.getByLabel('Add a note (Markdown)').fill(`Seen live ${mode}`);
      await t.page.getByRole('button', { name: 'Add note' }).click();
      await t.page.getByTestId('timeline').locator('.timeline__body', { hasText: `Seen live ${mode}` }).waitFor();

      if (t.js) {
        await page.getByTestId('timeline').locator('.timeline__body', { hasText: `Seen live ${mode}` }).waitFor({ timeout: 10_000 });
        assert.ok(await page.evaluate(() => window.__sameDocument === true), 'no reload happened');
        assert.equal(await page.getByLabel('Add a note (Markdown)').inputValue(), 'my unsent draft', 'the draft survives');
        assert.equal(await page.getByTestId('timeline').locator('.timeline__body', { hasText: `Seen live ${mode}` }).count(), 1, 'no duplicate');
      } else {
        await page.reload();
        await page.getByTestId('timeline').locator('.timeline__body', { hasText: `Seen live ${mode}` }).waitFor();
      }

      // A status set by the first responder shows in the second's header too.
      await t.settle();
      await t.page.getByLabel('Status', { exact: true }).selectOption({ label: 'Investigating' });
      await t.page.getByRole('button', { name: 'Change status' }).click();
      await t.page.locator('.incident__facts .status-badge', { hasText: 'Investigating' }).waitFor();
      if (t.js) {
        await page.locator('.incident__facts .status-badge', { hasText: 'Investigating' }).waitFor({ timeout: 10_000 });
        await page.getByTestId('timeline').getByText('Status changed from Triage to Investigating').waitFor();
        assert.ok(await page.evaluate(() => window.__sameDocument === true), 'no reload happened');
        assert.equal(await page.locator('.incident__facts .status-badge').count(), 1, 'one status badge');
      } else {
        await page.reload();
        await page.locator('.incident__facts .status-badge', { hasText: 'Investigating' }).waitFor();
      }
    } finally {
      await other.close();
    }
  });
});
