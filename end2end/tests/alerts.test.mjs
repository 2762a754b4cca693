import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('an admin adds an alert source whose token opens an incident, and an API token that reads it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const service = `Gateway ${mode}`;
    const source = `Alertmanager ${mode}`;
    await t.signIn(user('admin'));

    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(service);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: service }).waitFor();
    await t.settle();

    // Without a default service the form says so beside the field.
    await t.visit('/admin/alerts');
    await t.page.getByLabel('Name', { exact: true }).fill(source);
    await t.page.getByRole('button', { name: 'Add source' }).click();
    await t.page.getByText('Choose the service incidents from this source affect by default.').waitFor();
    await t.settle();

    await t.page.getByLabel('Name', { exact: true }).fill(source);
    await t.page.getByLabel('Sender').selectOption('alertmanager');
    await t.choose(t.page.getByLabel('Default service'), service);
    await t.page.getByLabel('“warning”').selectOption('record');
    await t.page.getByRole('button', { name: 'Add source' }).click();
    const token = (await t.page.getByTestId('alert-token-value').textContent()).trim();
    assert.match(token, /^vigil_alert_[0-9a-f]{64}$/);
    await t.settle();
    await t.page.getByTestId('alert-source').filter({ hasText: source }).waitFor();

    // The sender posts with the token: a critical alert opens an incident.
    const res = await fetch(`${t.baseURL}/hooks/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        status: 'firing',
        groupKey: `{}:{alertname="GatewayDown-${mode}"}`,
        commonLabels: { alertname: `GatewayDown-${mode}`, severity: 'critical' },
        commonAnnotations: { summary: `Gateway down (${mode})` },
        alerts: [{ status: 'firing', labels: { instance: 'gw-1' }, annotations: {}, fingerprint: `gw-${mode}` }],
      }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.alerts[0].action, 'opened');

    await t.visit('/admin/alerts');
    const row = t.page.getByTestId('recent-alerts').getByRole('row', { name: new RegExp(`Gateway down \\(${mode}\\)`) });
    await row.waitFor();
    await row.getByRole('link', { name: body.alerts[0].incident }).click();
    await t.page.waitForURL(new RegExp(`/incidents/${body.alerts[0].incident}$`));
    await t.page.getByRole('heading', { level: 1, name: `Gateway down (${mode})` }).waitFor();
    await t.settle();

    // Pausing the source refuses its token.
    await t.visit('/admin/alerts');
    await t.page.getByRole('button', { name: `Pause ${source}` }).click();
    await t.page.getByTestId('alert-source').filter({ hasText: source }).getByText('Paused').waitFor();
    await t.settle();
    const refused = await fetch(`${t.baseURL}/hooks/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ alerts: [] }),
    });
    assert.equal(refused.status, 401);

    // A personal API token from "my account" reads the same incidents with curl-like calls.
    await t.visit('/account');
    await t.page.getByLabel('Token name').fill(`script ${mode}`);
    await t.page.getByRole('button', { name: 'Create token' }).click();
    const apiToken = (await t.page.getByTestId('api-token-value').textContent()).trim();
    assert.match(apiToken, /^vigil_api_[0-9a-f]{64}$/);
    await t.settle();
    const listed = await fetch(`${t.baseURL}/api/v1/incidents?q=${encodeURIComponent(`Gateway down (${mode})`)}`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    assert.equal(listed.status, 200);
    const page = await listed.json();
    assert.ok(page.incidents.some((i) => i.reference === body.alerts[0].incident), JSON.stringify(page));

    await t.page.getByTestId('api-tokens').getByRole('button', { name: `Revoke script ${mode}` }).click();
    await t.page.getByTestId('api-tokens').getByText('Revoked').first().waitFor();
    await t.settle();
    const revoked = await fetch(`${t.baseURL}/api/v1/incidents`, { headers: { authorization: `Bearer ${apiToken}` } });
    assert.equal(revoked.status, 401);
  });
});
