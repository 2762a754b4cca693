import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('a service with an SLO and runbooks, its numbers, and the dashboard', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const name = `Ledger ${mode}`;
    await t.signIn(user('admin'));

    // Adding a service: a bad SLO is refused next to its field.
    await t.visit('/services');
    await t.page.getByRole('link', { name: 'Add a service' }).click();
    await t.page.waitForURL(`${t.baseURL}/services/new`);
    await t.settle();
    await t.page.getByLabel('Name', { exact: true }).fill(name);
    await t.page.getByLabel('Owner team').fill('Finance');
    await t.page.getByLabel('Tier').selectOption('1');
    await t.page.getByLabel('Availability SLO (%)').fill('100');
    await t.page.getByLabel('Runbooks').fill(`Restart the ledger | https://runbooks.example.com/ledger-${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByText('Give the availability target as a percentage from 90 to below 100').waitFor();
    await t.settle();
    await t.page.getByLabel('Name', { exact: true }).fill(name);
    await t.page.getByLabel('Availability SLO (%)').fill('99.9');
    await t.page.getByLabel('Runbooks').fill(`Restart the ledger | https://runbooks.example.com/ledger-${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name }).waitFor();
    await t.settle();
    await t.page.getByRole('link', { name: 'Restart the ledger' }).waitFor();
    await t.page.getByText('No incident touched this window.').waitFor();
    assert.match(await t.page.getByTestId('budget-total').textContent(), /43m/);
    assert.match(await t.page.getByTestId('mttf').textContent(), /No failures in the window/);

    // An incident on it, mitigated: the runbook shows on the incident page.
    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Ledger drift (${mode})`);
    await t.page.getByText('SEV1', { exact: true }).click();
    await t.choose(t.page.getByLabel('Affected services'), name);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    await t.page.getByTestId('runbooks').getByRole('link', { name: 'Restart the ledger' }).waitFor();
    // Downtime is counted in whole seconds: let some pass before mitigating.
    await t.page.waitForTimeout(1500);
    for (const status of ['Investigating', 'Monitoring']) {
      await t.page.getByLabel('Status', { exact: true }).selectOption({ label: status });
      await t.page.getByRole('button', { name: 'Change status' }).click();
      await t.page.locator('.incident__facts .status-badge', { hasText: status }).waitFor();
      await t.settle();
    }

    // The service page counts it, spends budget on it, and charts it.
    await t.page.getByRole('link', { name }).first().click();
    await t.page.getByRole('heading', { level: 1, name }).waitFor();
    await t.settle();
    assert.equal((await t.page.getByTestId('failures').locator('.metric__value').textContent()).trim(), '1');
    await t.page.getByTestId('spenders').getByRole('link', { name: new RegExp(`Ledger drift \\(${mode}\\)`) }).waitFor();
    assert.match(await t.page.locator('#chart-budget-title').textContent(), /Error budget burn-down \(99\.9% over 30 days\)/);
    assert.match(await t.page.locator('#chart-service-restore-title').textContent(), /Time to restore per month/);

    // The window is a plain GET form: it works the same without JavaScript.
    await t.page.getByLabel('Window', { exact: true }).selectOption('90');
    await t.page.getByRole('button', { name: 'Show', exact: true }).click();
    await t.page.waitForURL(/window=90/);
    await t.page.getByRole('heading', { name: 'Reliability, the last 90 days' }).waitFor();
    await t.settle();

    // The dashboard: counts by severity, restore trend, budgets and the ranking.
    await t.visit('/dashboard?window=90&bucket=month');
    assert.match(await t.page.locator('#chart-counts-title').textContent(), /Incidents per month by severity/);
    assert.match(await t.page.locator('#chart-counts-desc').textContent(), /incidents declared in the last 90 days/);
    assert.ok(await t.page.locator('#chart-counts rect.chart__fill--0').count() >= 1, 'a SEV1 bar is drawn');
    await t.page.getByTestId('ranking').getByRole('link', { name }).waitFor();
    const csv = await t.page.getByRole('link', { name: 'CSV (all services)' }).getAttribute('href');
    assert.equal(csv, '/reports/services.csv?window=90&bucket=month');
    await t.page.locator('.budget-card', { hasText: name }).waitFor();

    // Archiving keeps its history but stops offering it for new incidents.
    await t.visit('/services');
    await t.page.getByRole('link', { name }).click();
    await t.page.getByRole('heading', { level: 1, name }).waitFor();
    await t.settle();
    await t.page.getByRole('link', { name: 'Edit', exact: true }).click();
    await t.page.getByRole('button', { name: 'Delete service' }).waitFor();
    await t.settle();
    await t.page.getByRole('button', { name: 'Delete service' }).click();
    await t.page.getByText('Archive it instead').waitFor();
    await t.settle();
    await t.page.getByRole('button', { name: 'Archive service' }).click();
    await t.page.getByRole('heading', { level: 1, name }).locator('.badge', { hasText: 'Archived' }).waitFor();
    await t.settle();
    await t.visit('/incidents/new');
    assert.equal(await t.page.getByLabel(name).count(), 0);
  });
});
