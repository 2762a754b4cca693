import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('define a type and a custom field, declare with them, change them and filter by them', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const admin = user('admin');
    await t.signIn(admin);
    const service = `Ledger ${mode}`;
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(service);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: service }).waitFor();

    // An incident type, from the admin page.
    const kind = `Data integrity ${mode}`;
    await t.visit('/admin/incident-types');
    const add = t.page.locator('section[aria-labelledby="new-type-title"]');
    await add.getByLabel('Name').fill(kind);
    await add.getByLabel('Description (shown when declaring)').fill('Numbers are wrong somewhere.');
    await add.getByLabel('Scribe').check();
    await add.getByRole('button', { name: 'Add type' }).click();
    const item = t.page.locator(`li[data-type="${kind}"]`);
    await item.waitFor();
    await t.settle();
    assert.match(await item.textContent(), /Roles before resolvingScribe/);

    // A field asked for that type only, needed when declaring; a select without its
    // choices is refused first.
    const label = `Ledger region ${mode}`;
    await t.visit('/admin/fields');
    const fill = async (options) => {
      const form = t.page.locator('section[aria-labelledby="new-field-title"]');
      await form.getByLabel('Label').fill(label);
      await form.getByLabel('Holds').selectOption('select');
      await form.getByLabel('Choices of a select, one a line').fill(options);
      await form.getByLabel('Needed').selectOption('declare');
      await form.getByLabel(kind).check();
      await form.getByRole('button', { name: 'Add field' }).click();
    };
    await fill('');
    await t.page.getByRole('alert').filter({ hasText: 'A select needs its choices' }).waitFor();
    await t.settle();
    await fill('EU\nUS');
    await t.page.locator(`li[data-field="${label}"]`).waitFor();
    await t.settle();

    // Declaring one of the type without the field: the error sits beside it.
    await t.visit('/incidents/new');
    const declare = async (region) => {
      await t.page.getByLabel('Title').fill(`Totals off (${mode})`);
      await t.page.getByLabel('Type', { exact: true }).selectOption({ label: `${kind}: Numbers are wrong somewhere.` });
      const services = t.page.getByLabel('Affected services');
      if (!(await services.inputValue()).includes(service)) {
        await services.fill('');
        await t.choose(services, service);
      }
      if (region) await t.page.getByLabel(new RegExp(`^${label}`)).selectOption(region);
      await t.page.getByRole('button', { name: 'Declare incident' }).click();
    };
    await declare(null);
    await t.page.locator('.field__error', { hasText: `Fill in ${label} when declaring` }).waitFor();
    await t.settle();
    await declare('EU');
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incidentPath = new URL(t.page.url()).pathname;
    const card = t.page.locator('#fields');
    assert.equal(await card.getByTestId('incident-type').textContent(), kind);
    assert.match(await card.textContent(), new RegExp(`${label}EU`));

    // Changing the value from the card is one timeline entry.
    await card.getByText('Change type or fields').click();
    await card.getByLabel(new RegExp(`^${label}`)).selectOption('US');
    await card.getByRole('button', { name: 'Save type and fields' }).click();
    await t.page.waitForURL(new RegExp(`${incidentPath}(#fields)?$`));
    await t.page.locator('#fields', { hasText: `${label}US` }).waitFor();
    await t.settle();
    const story = await t.page.getByTestId('timeline').textContent();
    assert.match(story, new RegExp(`${label} set to EU`));
    assert.match(story, new RegExp(`${label} changed from EU to US`));

    // The list filters by type and by the field's value.
    await t.visit('/incidents');
    await t.page.getByLabel('Type', { exact: true }).selectOption({ label: kind });
    await t.page.getByLabel('Custom field').selectOption({ label });
    await t.page.getByLabel('holds').fill('us');
    await t.page.getByRole('button', { name: 'Filter' }).click();
    await t.page.waitForURL(/value=us/);
    await t.settle();
    await t.page.getByRole('link', { name: new RegExp(`Totals off \\(${mode}\\)`) }).waitFor();
    await t.page.getByLabel('holds').fill('EU');
    await t.page.getByRole('button', { name: 'Filter' }).click();
    await t.page.waitForURL(/value=EU/);
    await t.settle();
    await t.page.getByText('No incidents match.').waitFor();
  });
});
