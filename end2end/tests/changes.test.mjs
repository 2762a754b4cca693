import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
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

    // The service's delivery metrics count the deploy and the failure it caused.
    await t.visit(`/services/${slug}`);
    const delivery = page.getByTestId('delivery');
    assert.match(await delivery.getByTestId('change-failure-rate').textContent(), /100%/);
    assert.match(await delivery.getByTestId('change-failure-rate').textContent(), /1 of 1 deploys/);
    assert.match(await delivery.getByTestId('lead-time').textContent(), /No deploy with a commit time/);
    // Per period: the failure rate is charted, and its numbers are in the table.
    assert.match(await page.locator('#chart-service-failure-rate-title').textContent(), /Change failure rate per period/);
    assert.match(await page.locator('#chart-service-failure-rate-desc').textContent(), /: 100%/);
    assert.equal(await page.locator('#chart-service-failure-rate circle.chart__dot--0').count(), 1);
    const metrics = await api('GET', `/api/v1/services/${slug}/delivery`);
    assert.equal(metrics.body.deploys, 1);
    assert.equal(metrics.body.failed, 1);
    await t.visit(`/incidents/${declared.body.reference}`);

    // Not the cause after all: the mark goes, the timeline says so.
    await page.getByTestId('changes').locator('li', { hasText: title }).getByRole('button', { name: 'Not the cause' }).click();
    await page.getByTestId('timeline').getByText(/no longer linked as a cause/).waitFor();
    assert.equal(await page.getByTestId('changes').getByTestId('cause').count(), 0);
    await t.settle();

    // Rolled back by hand: the change says so, the button goes.
    await page.getByTestId('changes').locator('li', { hasText: title }).getByRole('button', { name: 'Mark rolled back' }).click();
    await page.getByTestId('changes').locator('li', { hasText: title }).getByText('Rolled back').waitFor();
    assert.equal(await page.getByTestId('changes').getByRole('button', { name: 'Mark rolled back' }).count(), 0);
    await t.settle();

    // A wider look back is a plain GET form.
    await page.getByLabel('Look back').selectOption('168');
    await page.getByTestId('changes').getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/changes_window=168/);
    assert.equal(await page.getByLabel('Look back').inputValue(), '168');
    await t.settle();
  });
  flow('an admin connects GitHub; a signed deployment is recorded on the mapped service', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const page = t.page;
    const service = `Storefront ${mode}`;
    const source = `GitHub acme ${mode}`;
    await t.signIn(user('admin'));
    await t.visit('/services/new');
    await page.getByLabel('Name', { exact: true }).fill(service);
    await page.getByRole('button', { name: 'Add service' }).click();
    await page.getByRole('heading', { level: 1, name: service }).waitFor();
    const slug = new URL(page.url()).pathname.split('/').pop();

    // A mapping line without "=" is refused beside its field.
    await t.visit('/admin/change-sources');
    await page.getByLabel('Name', { exact: true }).fill(source);
    await page.getByLabel('Sender').selectOption('github');
    await t.choose(page.getByLabel('Default service'), service);
    await page.getByLabel('Repositories and applications').fill('acme/storefront');
    await page.getByRole('button', { name: 'Add source' }).click();
    await page.getByText('Line 1: write “repository = service”.').waitFor();
    await t.settle();

    await page.getByLabel('Name', { exact: true }).fill(source);
    await page.getByLabel('Sender').selectOption('github');
    await t.choose(page.getByLabel('Default service'), service);
    await page.getByLabel('Repositories and applications').fill(`acme/storefront-${mode} = ${slug}`);
    await page.getByLabel('Environments').fill('production');
    await page.getByRole('button', { name: 'Add source' }).click();
    const secret = (await page.getByTestId('change-secret-value').textContent()).trim();
    assert.match(secret, /^vigil_change_[0-9a-f]{64}$/);
    assert.match(await page.getByTestId('change-secret').textContent(), /hooks\/changes\/github/);
    await t.settle();

    // GitHub posts a deployment status, signed with the secret.
    const body = JSON.stringify({
      deployment_status: { state: 'success', created_at: new Date().toISOString(), log_url: 'https://github.example/run/1' },
      deployment: { id: `${Date.now()}${mode === 'js' ? 1 : 2}`, environment: 'production', ref: 'v9.1.0', created_at: new Date(Date.now() - 60_000).toISOString(), creator: { login: 'octocat' } },
      repository: { full_name: `acme/storefront-${mode}` },
    });
    const post = (signature) => fetch(`${t.baseURL}/hooks/changes/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_status', 'x-hub-signature-256': signature },
      body,
    });
    assert.equal((await post('sha256=' + createHmac('sha256', 'wrong').update(body).digest('hex'))).status, 401);
    const res = await post('sha256=' + createHmac('sha256', secret).update(body).digest('hex'));
    assert.equal(res.status, 201, await res.clone().text());

    await t.visit('/admin/change-sources');
    const card = page.getByTestId('change-source').filter({ hasText: source });
    assert.match(await card.textContent(), /Changes received\s*1/);
    await t.visit(`/changes?service=${slug}`);
    const row = page.getByRole('row', { name: new RegExp(`Deploy acme/storefront-${mode} to production`) });
    await row.waitFor();

    // Declared from the change: the form names it, its service filled in; the incident
    // lists it as the suspected cause.
    await row.getByRole('link', { name: /Declare an incident caused by/ }).click();
    await page.getByTestId('suspected-change').waitFor();
    await t.settle();
    assert.match(await page.getByTestId('suspected-change').textContent(), /Deploy acme\/storefront/);
    await page.getByLabel('Title').fill(`Storefront errors after deploy (${mode})`);
    await page.getByRole('button', { name: 'Declare incident' }).click();
    await page.getByRole('heading', { level: 1, name: `Storefront errors after deploy (${mode})` }).waitFor();
    await t.settle();
    await page.getByTestId('changes').getByTestId('cause').filter({ hasText: 'Suspected cause' }).waitFor();
  });
});
