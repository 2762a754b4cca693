import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('an admin opens the status page; the commander publishes an incident and resolves it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const page = t.page;
    await t.signIn(user('admin'));

    await t.visit('/services/new');
    await page.getByLabel('Name', { exact: true }).fill(`Billing core ${mode}`);
    await page.getByRole('button', { name: 'Add service' }).click();
    await page.getByRole('heading', { level: 1, name: `Billing core ${mode}` }).waitFor();

    // Switched on, named, and the service shown under the name customers know.
    await t.visit('/admin/status-page');
    await page.getByLabel(/Publish the page at \/status/).check();
    await page.getByLabel('Name', { exact: true }).fill('Acme status');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByTestId('status-page-link').waitFor();
    await t.settle();
    const add = page.getByTestId('add-component');
    await t.choose(add.getByLabel('Service', { exact: true }), `Billing core ${mode}`);
    await add.getByLabel('Public name').fill(`Invoices ${mode}`);
    await add.getByLabel('Group').fill('Billing');
    await add.getByRole('button', { name: 'Add component' }).click();
    await page.getByTestId('status-component').filter({ hasText: `Invoices ${mode}` }).waitFor();
    await t.settle();

    await t.visit('/incidents/new');
    await page.getByLabel('Title').fill(`Invoice renderer OOM on worker-3 (${mode})`);
    await t.choose(page.getByLabel('Affected services'), `Billing core ${mode}`);
    await page.getByRole('button', { name: 'Declare incident' }).click();
    await page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incidentUrl = new URL(page.url()).pathname;

    // Published from the incident: its service's component is ticked already.
    let card = page.getByTestId('status-card');
    assert.match(await card.textContent(), /Not published/);
    assert.equal(await card.getByLabel(`Invoices ${mode}`).isChecked(), true);
    await card.getByLabel('Public title').fill(`Invoices are delayed (${mode})`);
    await card.getByLabel('What customers should know').fill('Invoices are **late**; we are on it.');
    await card.getByRole('button', { name: 'Publish to status page' }).click();
    await page.getByTestId('status-state').filter({ hasText: 'Investigating' }).waitFor();
    await t.settle();
    assert.match(await page.getByTestId('timeline').textContent(), /Published to the status page/);

    // Customers see the customer-facing words, not the internal ones.
    await t.visitPublic('/status');
    const overall = await page.getByRole('heading', { level: 1 }).textContent();
    assert.notEqual(overall.trim(), 'All systems operational');
    assert.match(await page.locator('main').textContent(), new RegExp(`Invoices are delayed \\(${mode}\\)`));
    assert.doesNotMatch(await page.content(), /worker-3|Billing core/);
    assert.equal(await page.locator('script').count(), 0, 'the public page ships no script');
    // The component's last 90 days: one image, summarised for screen readers.
    const bars = page.getByRole('img', { name: new RegExp(`^Invoices ${mode}: [\\d.]+% uptime over the last 90 days`) });
    assert.equal(await bars.count(), 1);
    // Feed readers follow the same words.
    const feed = await page.request.get('/status/feed.atom');
    assert.equal(feed.status(), 200);
    assert.match(await feed.text(), new RegExp(`Investigating: Invoices are delayed \\(${mode}\\)`));

    // Resolved with a last update; the page is all green again, the incident in history.
    await t.visit(incidentUrl);
    card = page.getByTestId('status-card');
    await card.getByLabel('State', { exact: true }).selectOption('resolved');
    await card.getByLabel('Update', { exact: true }).fill('Invoices are sent again.');
    await card.getByRole('button', { name: 'Post update' }).click();
    await page.getByTestId('status-state').filter({ hasText: 'Resolved' }).waitFor();
    await t.settle();
    await t.visitPublic('/status');
    assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), 'All systems operational');
    await page.getByRole('link', { name: `Invoices are delayed (${mode})` }).click();
    await page.waitForURL(/\/status\/incidents\/\d+$/);
    await t.visitPublic(new URL(page.url()).pathname);
    const updates = await page.locator('.updates').textContent();
    assert.match(updates, /Invoices are sent again\./);
    assert.match(updates, /Resolved/);
    assert.match(updates, /Investigating/);
    await t.visitPublic('/status/history');
    assert.match(await page.locator('main').textContent(), new RegExp(`Invoices are delayed \\(${mode}\\)`));
    await t.visitPublic('/status/incidents/999999', { status: 404 });
  });
});
