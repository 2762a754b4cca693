import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

/** `YYYY-MM-DDTHH:MM` of a day `days` from now at `hour`:00, as a datetime-local input holds it. */
function wallClock(days, hour) {
  const day = new Date(Date.now() + days * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}T${pad(hour)}:00`;
}


/** Adds service `service`, switches the status page on and shows the service on it as `name` in `group`. */
async function showService(t, service, name, group) {
  const page = t.page;
  await t.visit('/services/new');
  await page.getByLabel('Name', { exact: true }).fill(service);
  await page.getByRole('button', { name: 'Add service' }).click();
  await page.getByRole('heading', { level: 1, name: service }).waitFor();
  await t.visit('/admin/status-page');
  await page.getByLabel(/Publish the page at \/status/).check();
  await page.getByLabel('Name', { exact: true }).fill('Acme status');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByTestId('status-page-link').waitFor();
  await t.settle();
  const add = page.getByTestId('add-component');
  await t.choose(add.getByLabel('Service', { exact: true }), service);
  await add.getByLabel('Public name').fill(name);
  await add.getByLabel('Group').fill(group);
  await add.getByRole('button', { name: 'Add component' }).click();
  await page.getByTestId('status-component').filter({ hasText: name }).waitFor();
  await t.settle();
}

suite(({ flow, user, server }) => {
  flow('an admin opens the status page; the commander publishes an incident and resolves it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const page = t.page;
    await t.signIn(user('admin'));

    // Switched on, named, and the service shown under the name customers know.
    await showService(t, `Billing core ${mode}`, `Invoices ${mode}`, 'Billing');

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

  flow('a responder announces maintenance; customers see it; it is called off', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const page = t.page;
    await t.signIn(user('admin'));

    await showService(t, `Object store ${mode}`, `Files ${mode}`, 'Storage');

    // A window that ends before it starts is refused next to the field, then fixed.
    await t.visit('/maintenance');
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Schedule' }) });
    const title = `Storage migration (${mode})`;
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Starts').fill(wallClock(3, 10));
    await form.getByLabel('Ends').fill(wallClock(3, 9));
    await form.getByLabel(`Files ${mode}`).check();
    await form.getByLabel('What customers may notice').fill('Uploads may pause for **a minute**.');
    await form.getByRole('button', { name: 'Schedule' }).click();
    await page.getByText('End after the start.').first().waitFor();
    await t.settle();
    const again = page.locator('form').filter({ has: page.getByRole('button', { name: 'Schedule' }) });
    await again.getByLabel('Title').fill(title);
    await again.getByLabel('Starts').fill(wallClock(3, 10));
    await again.getByLabel('Ends').fill(wallClock(3, 12));
    if (!(await again.getByLabel(`Files ${mode}`).isChecked())) await again.getByLabel(`Files ${mode}`).check();
    await again.getByLabel('What customers may notice').fill('Uploads may pause for **a minute**.');
    await again.getByRole('button', { name: 'Schedule' }).click();
    const row = page.getByTestId('maintenance').filter({ hasText: title });
    await row.waitFor();
    await t.settle();
    assert.equal(await row.getAttribute('data-phase'), 'scheduled');

    // Customers read it, in their words, with the component it touches.
    await t.visitPublic('/status');
    const main = await page.locator('main').textContent();
    assert.match(main, /Scheduled maintenance/);
    assert.match(main, new RegExp(`Storage migration \\(${mode}\\)`));
    assert.match(main, new RegExp(`Affects Files ${mode}`));
    await page.getByRole('link', { name: title }).click();
    await page.waitForURL(/\/status\/maintenance\/\d+$/);
    const own = new URL(page.url()).pathname;
    await t.visitPublic(own);
    assert.match(await page.locator('main').textContent(), /Scheduled for/);

    // Called off: gone from the page; its link says what happened.
    await t.visit('/maintenance');
    await page.getByTestId('maintenance').filter({ hasText: title }).getByRole('button', { name: 'Call off' }).click();
    await page.locator(`[data-testid="maintenance"][data-phase="cancelled"]`).filter({ hasText: title }).waitFor();
    await t.settle();
    await t.visitPublic('/status');
    assert.doesNotMatch(await page.locator('main').textContent(), new RegExp(`Storage migration \\(${mode}\\)`));
    await t.visitPublic(own);
    assert.match(await page.locator('main').textContent(), /Called off/);
  });

  flow('a customer subscribes by email, confirms from the mail, is told of maintenance and unsubscribes', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const page = t.page;
    const smtp = server().smtp;
    await t.signIn(user('admin'));
    await showService(t, `Search index ${mode}`, `Search ${mode}`, 'Search');

    // From the public page to the form; a wrong address is refused next to the field.
    await t.visitPublic('/status');
    await page.getByRole('link', { name: 'Subscribe to updates' }).click();
    await page.waitForURL(/\/status\/subscribe$/);
    await t.visitPublic('/status/subscribe');
    await page.getByLabel('Email', { exact: true }).check();
    await page.getByLabel('Email address or webhook URL').fill('not an address');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByText('This is not an email address').waitFor();
    assert.equal(await page.getByLabel('Email address or webhook URL').getAttribute('aria-invalid'), 'true');
    const address = `customer-${mode}@example.com`;
    await page.getByLabel('Email address or webhook URL').fill(address);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL(/\/status\/subscribe\?sent=email$/);
    assert.match(await page.getByRole('status').textContent(), /Check your inbox/);

    // The mail's link opens a page whose button confirms: opening it changes nothing.
    const confirmation = await smtp.mailTo(address, /^Confirm your status updates subscription$/);
    const link = confirmation.text.match(/http:\/\/\S+\/status\/subscriptions\/[0-9a-f]{64}/)[0];
    await t.visitPublic(new URL(link).pathname);
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await page.waitForURL(/\?done=confirmed$/);
    assert.match(await page.getByRole('status').textContent(), /Subscription confirmed\./);
    await t.visitPublic(new URL(page.url()).pathname + new URL(page.url()).search);

    // Admins see the subscriber.
    await t.visit('/admin/status-page');
    assert.match(await page.getByTestId('status-subscribers').textContent(), new RegExp(address));

    // Maintenance announced by a responder reaches the inbox, with one-click unsubscribe.
    await t.visit('/maintenance');
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Schedule' }) });
    const title = `Search reindex (${mode})`;
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Starts').fill(wallClock(2, 10));
    await form.getByLabel('Ends').fill(wallClock(2, 11));
    await form.getByLabel(`Search ${mode}`).check();
    await form.getByLabel('What customers may notice').fill('Results may be stale for **an hour**.');
    await form.getByRole('button', { name: 'Schedule' }).click();
    await page.getByTestId('maintenance').filter({ hasText: title }).waitFor();
    const announced = await smtp.mailTo(address, new RegExp(`^\\[Acme status\\] Scheduled maintenance: Search reindex \\(${mode}\\)$`));
    assert.match(announced.text, /Results may be stale for \*\*an hour\*\*\./);
    assert.match(announced.header('List-Unsubscribe'), /\/unsubscribe>$/);
    assert.equal(announced.header('List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');

    // The footer's link leads to the page whose button ends it.
    const manage = announced.text.match(/Unsubscribe: (\S+)/)[1];
    await t.visitPublic(new URL(manage).pathname);
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.waitForURL(/\?done=unsubscribed$/);
    assert.match(await page.getByRole('heading', { level: 1 }).textContent(), /You are unsubscribed/);
    await t.visitPublic(new URL(manage).pathname, { status: 404 });
  });
});
