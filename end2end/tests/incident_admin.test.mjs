import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

/** Wall-clock `YYYY-MM-DDTHH:MM` of `date` in `timeZone`, as a datetime-local input holds it. */
function wallClock(date, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

suite(({ flow, user }) => {
  flow('an admin renames and reorders the severity scale', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    await t.signIn(user('admin'));
    await t.visit('/admin/severities');
    const items = t.page.locator('.severity-item');
    assert.equal(await items.count(), 4);
    const last = items.nth(3);
    const oldName = await last.getAttribute('data-severity');

    // A bad edit is refused next to the field; a good one is saved.
    await last.getByLabel('Name').fill('');
    await last.getByRole('button', { name: /^Save / }).click();
    await t.page.getByText('Give the severity a name, like SEV1.').waitFor();
    await t.settle();
    const item = t.page.locator('.severity-item').nth(3);
    await item.getByLabel('Name').fill(`Low ${mode}`);
    await item.getByLabel('Description (shown when declaring)').fill(`Nothing urgent (${mode}).`);
    await item.getByLabel('Incidents at this level require a postmortem').check();
    await item.getByRole('button', { name: /^Save / }).click();
    await t.page.locator(`.severity-item[data-severity="Low ${mode}"]`).getByText('postmortem required').waitFor();
    await t.settle();
    assert.notEqual(oldName, `Low ${mode}`);

    // Moving it up puts it third, and the declare form follows the new order.
    await t.page.getByRole('button', { name: `Move up: Low ${mode}` }).click();
    await t.page.locator('.severity-item').nth(2).and(t.page.locator(`[data-severity="Low ${mode}"]`)).waitFor();
    await t.settle();
    await t.visit('/incidents/new');
    const choices = await t.page.locator('.choice__title').allTextContents();
    assert.equal(choices[2], `Low ${mode}`);
    await t.page.getByText(`Nothing urgent (${mode}).`).waitFor();
  });

  flow('merge a duplicate into the incident it repeats, with another commander', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const responder = user('responder');
    await t.signIn(user('admin'));
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Billing ${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Billing ${mode}` }).waitFor();

    const declare = async (title, commander) => {
      await t.visit('/incidents/new');
      await t.page.getByLabel('Title').fill(title);
      await t.choose(t.page.getByLabel('Affected services'), `Billing ${mode}`);
      if (commander) await t.choose(t.page.getByLabel('Incident commander'), commander);
      await t.page.getByRole('button', { name: 'Declare incident' }).click();
      await t.page.waitForURL(/\/incidents\/INC-\d+$/);
      await t.settle();
      return t.page.url().split('/').pop();
    };
    const original = await declare(`Invoices fail (${mode})`);
    const duplicate = await declare(`Cannot download invoice (${mode})`, responder.name);
    assert.equal(await t.page.getByTestId('commander').textContent(), responder.name);

    // Roles go to people found by a search field; a name that fits nobody is an error
    // beside it.
    await t.page.getByLabel('Role', { exact: true }).selectOption('scribe');
    await t.page.getByLabel('Person').fill('Nobody by this name');
    await t.page.getByRole('button', { name: 'Assign' }).click();
    await t.page.locator('#role-person-error', { hasText: 'No active person matches' }).waitFor();
    await t.settle();
    await t.page.getByLabel('Role', { exact: true }).selectOption('scribe');
    await t.page.getByLabel('Person').fill('');
    await t.choose(t.page.getByLabel('Person'), user('admin').name);
    await t.page.getByRole('button', { name: 'Assign' }).click();
    await t.page.getByTestId('timeline').getByText(new RegExp(`${user('admin').name} is now scribe`, 'i')).waitFor();
    await t.settle();

    await t.page.getByLabel('Duplicate of').fill('nonsense');
    await t.page.getByRole('button', { name: 'Merge' }).click();
    await t.page.getByText('Write an incident reference like INC-12.').waitFor();
    await t.settle();
    await t.page.getByLabel('Duplicate of').fill(original);
    await t.page.getByRole('button', { name: 'Merge' }).click();
    await t.page.locator('.incident__facts .status-badge', { hasText: 'Merged' }).waitFor();
    await t.settle();
    await t.page.getByTestId('merged-into').getByRole('link', { name: original }).click();
    await t.page.waitForURL(`${t.baseURL}/incidents/${original}`);
    // With JavaScript the address changes before the new page's data arrives: wait for
    // the original's timeline rather than read whatever is shown at that moment.
    await t.page.getByTestId('timeline').getByText(new RegExp(`${duplicate} was merged into this incident`)).waitFor();
  });
});

suite(({ flow, user }) => {
  flow('times are shown and typed in the viewer\'s time zone', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    await t.signIn(user('admin'));
    if (!t.js) {
      // Without JavaScript the browser cannot say its zone: choose it in the account.
      await t.visit('/account');
      await t.page.getByLabel('Time zone').selectOption('Asia/Kolkata');
      await t.page.getByRole('button', { name: 'Save profile' }).click();
      await t.page.getByText('Profile saved.').waitFor();
      await t.settle();
    }
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Clock ${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Clock ${mode}` }).waitFor();
    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Clock skew (${mode})`);
    await t.choose(t.page.getByLabel('Affected services'), `Clock ${mode}`);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    // Chromium reports Kolkata by its older ICU name, Asia/Calcutta: the same zone.
    await t.page.getByText(/Times are in Asia\/(Kolkata|Calcutta)\./).waitFor();

    // A backdated note is typed and shown in Kolkata time; its UTC instant is kept.
    const when = new Date(Date.now() - 3 * 3600_000);
    when.setUTCSeconds(0, 0);
    const typed = wallClock(when, 'Asia/Kolkata');
    await t.page.getByLabel('Add a note (Markdown)').fill(`Clock note ${mode}`);
    await t.page.getByLabel('Happened at (optional)').fill(typed);
    await t.page.getByRole('button', { name: 'Add note' }).click();
    const note = t.page.getByTestId('timeline').locator('li', { hasText: `Clock note ${mode}` });
    await note.waitFor();
    await t.settle();
    const time = note.locator('.timeline__meta time').first();
    assert.equal(await time.textContent(), typed.replace('T', ' '));
    assert.equal(new Date(await time.getAttribute('datetime')).getTime(), when.getTime());
  }, { timezoneId: 'Asia/Kolkata' });
});
