import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('an admin writes a playbook and a rule, tries the rule before saving it, enables it, and a matching declaration runs it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const admin = user('admin');
    await t.signIn(admin);
    const service = `Payments ${mode}`;
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(service);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: service }).waitFor();

    // A playbook for the rule to attach.
    const playbook = `Partner comms (${mode})`;
    await t.visit('/playbooks');
    await t.page.getByRole('link', { name: 'Write a playbook' }).click();
    await t.page.getByRole('heading', { level: 1, name: 'Write a playbook' }).waitFor();
    await t.settle();
    await t.page.getByLabel('Title').fill(playbook);
    await t.page.getByLabel('Steps').fill('Call the partner\nPost in the partner channel');
    await t.page.getByRole('button', { name: 'Save playbook' }).click();
    await t.page.getByRole('heading', { level: 1, name: playbook }).waitFor();
    await t.settle();

    // An incident on the service, declared before any rule exists.
    const declare = async (title) => {
      await t.visit('/incidents/new');
      await t.page.getByLabel('Title').fill(title);
      await t.choose(t.page.getByLabel('Affected services'), service);
      await t.page.getByRole('button', { name: 'Declare incident' }).click();
      await t.page.waitForURL(/\/incidents\/INC-\d+$/);
      await t.settle();
      return new URL(t.page.url()).pathname.split('/').pop();
    };
    const first = await declare(`Card payments failing (${mode})`);

    // The rule, from the form: nothing to do is refused beside "Then".
    const name = `Payments letter ${mode}`;
    const item = `Tell the payment partners (${mode})`;
    await t.visit('/admin/rules/new');
    await t.page.getByLabel('Name', { exact: true }).fill(name);
    await t.page.getByLabel('When').selectOption('declared');
    await t.page.getByLabel('Affects one of these services').selectOption({ label: service });
    await t.page.getByRole('button', { name: 'Save rule' }).click();
    await t.page.locator('.field__error', { hasText: 'Choose at least one thing for the rule to do.' }).waitFor();
    await t.settle();
    // The form is a plain form post (no island): it comes back empty, to fill again.
    await t.page.getByLabel('Name', { exact: true }).fill(name);
    await t.page.getByLabel('When').selectOption('declared');
    await t.page.getByLabel('Affects one of these services').selectOption({ label: service });
    await t.page.getByLabel('Attach a playbook').selectOption({ label: playbook });
    await t.page.getByLabel('Add an action item').fill(item);
    await t.page.getByLabel('Its priority').selectOption('high');
    await t.page.getByLabel('Due after (days)').fill('3');

    // Tried before saving: what it would do on that incident, the form kept as written.
    await t.page.getByLabel('Try it on an incident first').fill(first);
    await t.page.getByRole('button', { name: 'Dry run' }).click();
    const result = t.page.getByTestId('dry-run-result');
    await result.waitFor();
    await t.settle();
    const said = await result.textContent();
    assert.match(said, new RegExp(`on ${first} this rule would:`));
    assert.match(said, new RegExp(`attach the playbook Partner comms \\(${mode}\\)`));
    assert.match(said, new RegExp(`add the action item “Tell the payment partners \\(${mode}\\)” \\(high priority, due in 3 days`));
    assert.equal(await t.page.getByLabel('Add an action item').inputValue(), item);
    assert.equal(await t.page.getByLabel('Name', { exact: true }).inputValue(), name);
    await t.page.getByRole('button', { name: 'Save rule' }).click();
    await t.page.waitForURL(/\/admin\/rules\/\d+$/);
    await t.page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor();
    await t.settle();
    assert.equal(await t.page.getByTestId('rule-state').textContent(), 'Draft');

    // Enabled, the next declaration runs it: one timeline entry, the checklist, the item.
    await t.page.getByRole('button', { name: 'Enable' }).click();
    await t.page.getByTestId('rule-state').filter({ hasText: 'Enabled' }).waitFor();
    await t.settle();
    await declare(`Refunds failing (${mode})`);
    const story = await t.page.getByTestId('timeline').textContent();
    await t.page.locator('#playbooks').getByText('0 of 2 done').waitFor();
    assert.match(story, new RegExp(`Rule ${name} ran \\(an incident is declared\\): attached the playbook Partner comms \\(${mode}\\); added the action item ${item.replace(/[()]/g, '\\$&')}`));
    assert.match(await t.page.locator('body').textContent(), new RegExp(item.replace(/[()]/g, '\\$&')));

    // The list says it in words.
    await t.visit('/admin/rules');
    const listed = t.page.locator(`li[data-rule="${name}"]`);
    assert.match(await listed.textContent(), /Enabled/);
    assert.match(await listed.textContent(), new RegExp(`affects ${service}`));
  });
});
