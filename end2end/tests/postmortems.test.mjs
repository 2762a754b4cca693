import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('write a postmortem, review, approve and publish it', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const admin = user('admin');
    await t.signIn(admin);
    await t.visit('/services/new');
    await t.page.getByLabel('Name', { exact: true }).fill(`Search ${mode}`);
    await t.page.getByRole('button', { name: 'Add service' }).click();
    await t.page.getByRole('heading', { level: 1, name: `Search ${mode}` }).waitFor();

    await t.visit('/incidents/new');
    await t.page.getByLabel('Title').fill(`Search index stale (${mode})`);
    await t.choose(t.page.getByLabel('Affected services'), `Search ${mode}`);
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.waitForURL(/\/incidents\/INC-\d+$/);
    await t.settle();
    const incident = t.page.url().split('/').pop();
    const card = t.page.getByTestId('postmortem-card');
    assert.match(await card.textContent(), /SEV2 incidents need a published postmortem/);
    await card.getByRole('button', { name: 'Start postmortem' }).click();
    await t.page.waitForURL(`${t.baseURL}/incidents/${incident}/postmortem`);
    await t.settle();
    assert.equal(await t.page.locator('h1').textContent(), `Postmortem: Search index stale (${mode})`);
    assert.match(await t.page.getByLabel('Timeline (Markdown)').inputValue(), /Declared as SEV2/);

    // Write a section; the blameless check advises (live with JavaScript, after saving without).
    const impact = t.page.getByLabel('Impact (Markdown)');
    await impact.fill(`Searches returned **stale results** (${mode}). It was human error.`);
    const section = t.page.locator('.postmortem__section', { has: impact });
    if (t.js) {
      await section.locator('.prose strong', { hasText: 'stale results' }).waitFor();
      await section.getByText('Blameless language').waitFor();
    }
    await t.page.getByRole('button', { name: 'Save postmortem' }).click();
    await t.page.getByText('Saved. A new revision was recorded.').waitFor();
    await t.settle();
    const saved = t.page.locator('.postmortem__section', { has: t.page.getByLabel('Impact (Markdown)') });
    await saved.locator('.prose strong', { hasText: 'stale results' }).waitFor();
    assert.match(await saved.locator('.advice').textContent(), /human error/);

    // Review: the admin reviews it too, then approves and publishes.
    await t.page.getByText('Choose reviewers', { exact: true }).click();
    await t.choose(t.page.getByLabel('Reviewers'), admin.name);
    await t.page.getByRole('button', { name: 'Save reviewers' }).click();
    await t.page.getByTestId('reviewers').getByText(admin.name).waitFor();
    await t.settle();
    for (const [step, status] of [['Submit for review', 'In review'], ['Approve', 'Approved'], ['Publish', 'Published']]) {
      await t.page.getByRole('button', { name: step, exact: true }).click();
      await t.page.locator('.postmortem__header .status-badge', { hasText: status }).waitFor();
      await t.settle();
    }
    assert.match(await t.page.getByTestId('comments').textContent(), /Submitted for review\.[\s\S]*Published\./);
    assert.equal(await t.page.getByRole('button', { name: 'Save postmortem' }).count(), 0, 'published text is read-only');
    const download = t.page.getByRole('link', { name: 'Download Markdown' });
    assert.equal(await download.getAttribute('href'), `/incidents/${incident}/postmortem.md`);

    // The history compares revisions; the list finds it by its text.
    await t.page.getByRole('link', { name: 'Revision history' }).click();
    await t.page.waitForURL(/\/postmortem\/history/);
    await t.settle();
    await t.page.getByRole('button', { name: 'Compare' }).click();
    await t.page.waitForURL(/from=1&to=2/);
    await t.settle();
    await t.page.locator('.diff__line--added', { hasText: 'stale results' }).waitFor();
    await t.visit(`/postmortems?q=${encodeURIComponent(`stale results (${mode})`)}`);
    await t.page.getByRole('link', { name: `Postmortem: Search index stale (${mode})` }).waitFor();
  });
});
