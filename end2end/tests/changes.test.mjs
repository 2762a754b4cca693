import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('a pipeline reports a deploy; the commander marks it the cause of the incident after it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const page = t.page;
    await t.signIn(user('admin'));

    await t.visit('/services/new');
    await page.getByLabel('Name', { exact: true }).fill(`Ledger ${mode}`);
    await page.getByRole('button', { name: 'Add service' }).click();
    await page.getByRole('heading', { level: 1, name: `Ledger ${mode}` }).waitFor();
    const slug = new URL(page.url()).pathname.split('/').pop();

    await t.visit('/account');
    await page.getByLabel('Token name').fill(`pipeline ${mode}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('api-token-value').textContent()).trim();
    const api = async (method, path, body) => {
      const res = await fetch(`${t.baseURL}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body && JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };

    // The pipeline reports a deploy ten minutes ago; then the incident is declared.
    const minutesAgo = (m) => new Date(Date.now() - m * 60_000).toISOString();
    const title = `Deploy ledger <b>v2</b> (${mode})`;
    const change = await api('POST', '/api/v1/changes', {
      title, services: [slug], version: 'v2.0.0', author: 'ci-bot',
      started_at: minutesAgo(10), finished_at: minutesAgo(5),
      source: 'e2e', external_id: `ledger-${mode}`,
    });
    assert.equal(change.status, 201, JSON.stringify(change.body));
    const service = await api('GET', `/api/v1/services/${slug}`);
    const severities = await api('GET', '/api/v1/severities');
    const declared = await api('POST', '/api/v1/incidents', {
      title: `Ledger writes fail (${mode})`,
      severity_id: severities.body.severities[1].id,
      service_ids: [service.body.id],
    });
    assert.equal(declared.status, 201, JSON.stringify(declared.body));

    // The incident page lists the deploy, its title as text, with buttons to mark it.
    await t.visit(`/incidents/${declared.body.reference}`);
    const card = page.getByTestId('changes');
    const item = card.locator('li', { hasText: title });
    await item.waitFor();
    assert.match(await item.textContent(), /v2\.0\.0/);
    assert.match(await item.textContent(), /Succeeded/);
    await item.getByRole('button', { name: 'Suspected cause' }).click();
    await page.getByTestId('changes').getByTestId('cause').filter({ hasText: 'Suspected cause' }).waitFor();
    await t.settle();

    await page.getByTestId('changes').locator('li', { hasText: title }).getByRole('button', { name: 'Confirmed cause' }).click();
    await page.getByTestId('changes').getByTestId('cause').filter({ hasText: 'Confirmed cause' }).waitFor();
    await t.settle();
    assert.match(await page.getByTestId('timeline').textContent(), /marked as the confirmed cause/);
    const linked = await api('GET', `/api/v1/changes/${change.body.id}`);
    assert.deepEqual(linked.body.incidents, [{ incident: declared.body.reference, cause: 'confirmed' }]);

    // Not the cause after all: the mark goes, the timeline says so.
    await page.getByTestId('changes').locator('li', { hasText: title }).getByRole('button', { name: 'Not the cause' }).click();
    await page.getByTestId('timeline').getByText(/no longer linked as a cause/).waitFor();
    assert.equal(await page.getByTestId('changes').getByTestId('cause').count(), 0);
    await t.settle();

    // A wider look back is a plain GET form.
    await page.getByLabel('Look back').selectOption('168');
    await page.getByTestId('changes').getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/changes_window=168/);
    assert.equal(await page.getByLabel('Look back').inputValue(), '168');
    await t.settle();
  });
});
