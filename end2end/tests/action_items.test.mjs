import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('track action items from an incident until they are done', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const admin = user('admin');
    await t.signIn(admin);
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Certs ${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Certs ${mode}` }).waitFor();
    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Certificate expired (${mode})`);
    await t.choose(t.page.getByLabel('Affected services'), `Certs ${mode}`);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incidentUrl = t.page.url();

    const add = async (title, due) => {
      const form = t.page.locator('.item-add');
      if (!(await form.evaluate((el) => el.open))) await form.locator('summary').click();
      await form.getByLabel('What will be done').fill(title);
      await form.getByLabel('Type').selectOption('detect');
      await t.choose(form.getByLabel('Owner'), admin.name);
      await form.getByLabel('Due').fill(due);
      await form.getByRole('button', { name: 'Add action item' }).click();
      await t.page.locator(`.item-list__item[data-item="${title}"]`).waitFor();
      await t.settle();
    };
    const late = `Alert before certificates expire (${mode})`;
    const dropped = `Rotate every key by hand (${mode})`;
    await add(late, '2020-01-01');
    await add(dropped, '2099-01-01');
    assert.match(await t.page.locator(`.item-list__item[data-item="${late}"]`).textContent(), /Overdue/);

    // Won't do needs a reason, shown next to the field.
    const item = () => t.page.locator(`.item-list__item[data-item="${dropped}"]`);
    await item().getByText('Change', { exact: true }).click();
    await item().getByLabel('Status').selectOption('wont_do');
    await item().getByRole('button', { name: 'Save action item' }).click();
    await t.page.getByText('Say why this will not be done.').waitFor();
    await t.settle();
    if (!(await item().locator('details[open]').count())) await item().getByText('Change', { exact: true }).click();
    await item().getByLabel('Status').selectOption('wont_do');
    await item().getByLabel("Reason, if it won't be done").fill('Keys move to the managed service');
    await item().getByRole('button', { name: 'Save action item' }).click();
    await item().getByText("Won't do: Keys move to the managed service").waitFor();
    await t.settle();

    // The overdue one is finished from the action items page.
    await t.visit('/action-items?overdue=1');
    const row = t.page.getByRole('row', { name: new RegExp(late.replace(/[()]/g, '\\$&')) });
    await row.getByText('Overdue').waitFor();
    await row.getByRole('button', { name: `Mark done: ${late}` }).click();
    await t.page.getByText(late).waitFor({ state: 'detached' });
    await t.settle();
    await t.visit(`/action-items?status=done`);
    await t.page.getByRole('row', { name: new RegExp(late.replace(/[()]/g, '\\$&')) }).waitFor();

    // The incident's timeline tells the story.
    await t.visit(new URL(incidentUrl).pathname);
    const story = await t.page.getByTestId('timeline').textContent();
    assert.match(story, new RegExp(`Action item completed: ${late.replace(/[()]/g, '\\$&')}`));
    assert.match(story, /Action item will not be done/);
  });
});
