import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('write a playbook, get it on an incident and follow it step by step', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const admin = user('admin');
    await t.signIn(admin);
    const service = `Primary DB ${mode}`;
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(service);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: service }).waitFor();

    // A playbook, written from the list; a bad step is named beside the field.
    await t.visit('/playbooks');
    await t.page.getByRole('link', { name: 'Write a playbook' }).click();
    await t.page.getByRole('heading', { level: 1, name: 'Write a playbook' }).waitFor();
    await t.settle();
    const title = `Database failover (${mode})`;
    const fill = async (steps) => {
      await t.page.getByLabel('Title').fill(title);
      const services = t.page.getByLabel('Services');
      if (!(await services.inputValue()).includes(service)) {
        await services.fill('');
        await t.choose(services, service);
      }
      await t.page.getByLabel('Steps').fill(steps);
      await t.page.getByLabel('Guide (Markdown, optional)').fill('Read **lag** before promoting.');
      await t.page.getByRole('button', { name: 'Save playbook' }).click();
    };
    await fill('Check replication lag | https://grafana.example/d/db\nPromote the replica | needs: janitor\nTell customers');
    await t.page.locator('#field-steps-error', { hasText: 'janitor' }).waitFor();
    await t.settle();
    await fill('Check replication lag | https://grafana.example/d/db\nPromote the replica | needs: operations\nTell customers');
    await t.page.getByRole('heading', { level: 1, name: title }).waitFor();
    await t.settle();
    assert.match(await t.page.locator('.page-header__lede').textContent(), /Version 1 · 3 steps/);
    const playbookUrl = new URL(t.page.url()).pathname;

    // Declaring on the service brings the playbook as a checklist.
    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Primary unreachable (${mode})`);
    await t.choose(t.page.getByLabel('Affected services'), service);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incidentPath = new URL(t.page.url()).pathname;
    const card = t.page.locator('#playbooks');
    await card.getByText('0 of 3 done').waitFor();

    const tick = async (n, text, done) => {
      await card.getByRole('button', { name: new RegExp(`^Step ${n}: ${text}`) }).click();
      await card.getByText(`${done} of 3 done`).waitFor();
      await t.settle();
    };
    await tick(1, 'Check replication lag', 1);
    await tick(2, 'Promote the replica', 2);
    assert.equal(await card.getByRole('button', { name: /^Step 2:/ }).getAttribute('aria-pressed'), 'true');
    await tick(2, 'Promote the replica', 1);
    assert.match(await card.locator('.checklist__step--done').textContent(), new RegExp(`Done by ${admin.name}`));
    const story = await t.page.getByTestId('timeline').textContent();
    assert.match(story, new RegExp(`Playbook attached: Database failover \\(${mode}\\) \\(version 1, 3 steps\\)`));
    assert.match(story, /step 1 done: Check replication lag/);
    assert.match(story, /step 2 undone: Promote the replica/);

    // A new version leaves the incident's checklist as it was.
    await t.visit(`${playbookUrl}/edit`);
    await t.page.getByLabel('Steps').fill('Check replication lag\nPromote the replica | needs: operations\nTell customers\nWrite the postmortem');
    await t.page.getByRole('button', { name: 'Save new version' }).click();
    await t.page.locator('.page-header__lede', { hasText: 'Version 2 · 4 steps' }).waitFor();
    await t.settle();
    await t.page.getByRole('link', { name: 'Version 1' }).click();
    await t.page.getByText('You are reading version 1 of 2.').waitFor();
    await t.settle();
    await t.visit(incidentPath);
    await t.page.getByText('Version 1 as attached; the playbook is now at version 2.').waitFor();
    await t.page.locator('#playbooks').getByText('1 of 3 done').waitFor();

    await t.visit('/playbooks');
    const row = t.page.getByRole('row', { name: new RegExp(title.replace(/[()]/g, '\\$&')) });
    assert.match(await row.textContent(), /1 incident/);
  });
});
