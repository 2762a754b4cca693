// A form error travels in the URL when JavaScript is off (`?__path=..&__err=..`). A crafted
// link must not put words into a form: opened directly or clicked inside the app, it lands
// on the plain page, while the browser's own failed post still shows its error.
import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

const PHISH = 'Your session expired: call +1 555 0100 to keep your account';
const crafted = () => {
  const error = Buffer.from(JSON.stringify({ Invalid: [{ field: 'title', message: PHISH }] })).toString('base64url');
  return `/incidents/new?__path=${encodeURIComponent('/rpc/declare_incident')}&__err=${error}`;
};

suite(({ flow, user }) => {
  flow('a crafted form-error link shows no error', async (t) => {
    await t.signIn(user('responder'));
    if (t.js) {
      // A link on a page, followed inside the app by the client router.
      await t.visit('/incidents');
      await t.page.evaluate((href) => {
        const a = document.createElement('a');
        a.href = href;
        a.id = 'crafted';
        a.textContent = 'Open the form';
        document.body.append(a);
      }, crafted());
      await t.page.click('#crafted');
    } else {
      await t.page.goto(crafted());
    }
    await t.page.waitForURL(`${t.baseURL}/incidents/new`);
    await t.settle();
    assert.equal(await t.page.getByText(PHISH).count(), 0, 'the crafted text is not shown');

    // The browser's own failed post still shows its error beside the field.
    await t.page.getByRole('button', { name: 'Declare incident' }).click();
    await t.page.getByText('Give the incident a short title.').waitFor();
    await t.settle();
  });
});
