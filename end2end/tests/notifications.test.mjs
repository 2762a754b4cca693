import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { suite } from '../support/harness.mjs';

/** A webhook receiver on a free port that keeps what it is sent. */
async function receiver() {
  const received = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, received, close: () => server.close() };
}

async function until(check, what, timeout = 15_000) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    const value = check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

suite(({ flow, user, server }) => {
  flow('an admin adds a signed webhook, sends a test, and sees it delivered', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const name = `Status page ${mode}`;
    const hook = await receiver();
    try {
      await t.signIn(user('admin'));
      await t.visit('/admin/notifications');

      // A bad address is explained beside its field.
      await t.page.getByLabel('Name', { exact: true }).fill(name);
      await t.page.getByLabel('Send to').selectOption('webhook');
      await t.page.getByLabel('Webhook address').fill('ftp://example.com/hook');
      await t.page.getByRole('button', { name: 'Add channel' }).click();
      await t.page.getByText('Use an http:// or https:// address.').waitFor();
      await t.settle();

      await t.page.getByLabel('Name', { exact: true }).fill(name);
      await t.page.getByLabel('Send to').selectOption('webhook');
      await t.page.getByLabel('Webhook address').fill(hook.url);
      await t.page.getByRole('button', { name: 'Add channel' }).click();
      const secret = (await t.page.getByTestId('notification-secret-value').textContent()).trim();
      assert.match(secret, /^vigil_whsec_[0-9a-f]{64}$/);
      await t.settle();
      const card = t.page.getByTestId('notification-channel').filter({ hasText: name });
      await card.waitFor();

      // The test goes out through the outbox: signed, and logged as delivered.
      await t.page.getByRole('button', { name: `Send test to ${name}` }).click();
      await t.settle();
      const got = await until(() => hook.received.find((r) => r.headers['x-vigil-event'] === 'test'), 'the test delivery');
      const expected = `sha256=${createHmac('sha256', secret).update(`${got.headers['x-vigil-timestamp']}.${got.body}`).digest('hex')}`;
      assert.equal(got.headers['x-vigil-signature'], expected);
      assert.equal(JSON.parse(got.body).event, 'test');

      // The worker records the answer just after the receiver has it.
      const row = t.page.getByTestId('notification-deliveries').getByRole('row').filter({ hasText: name }).first();
      for (let i = 0; i < 20; i++) {
        await t.page.goto('/admin/notifications');
        if ((await row.getByText('Delivered').count()) > 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await t.visit('/admin/notifications');
      await row.getByText('Delivered').waitFor({ timeout: 2_000 });
      await card.getByText('Last delivered').waitFor();

      // Paused channels say so.
      await t.page.getByRole('button', { name: `Pause ${name}` }).click();
      await card.getByText('Paused').waitFor();
      await t.settle();
    } finally {
      hook.close();
    }
  });

  flow('an admin adds a Teams channel and a mailbox, and both receive the test', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const hook = await receiver();
    try {
      await t.signIn(user('admin'));
      await t.visit('/admin/notifications');

      const teams = `Teams ${mode}`;
      await t.page.getByLabel('Name', { exact: true }).fill(teams);
      await t.page.getByLabel('Send to').selectOption('teams');
      await t.page.getByLabel('Webhook address').fill(hook.url);
      await t.page.getByRole('button', { name: 'Add channel' }).click();
      await t.settle();
      await t.page.getByTestId('notification-channel').filter({ hasText: teams }).waitFor();
      await t.page.getByRole('button', { name: `Send test to ${teams}` }).click();
      await t.settle();
      const got = await until(() => hook.received.find((r) => JSON.parse(r.body).type === 'message'), 'the Teams card');
      const card = JSON.parse(got.body).attachments[0];
      assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
      assert.equal(card.content.type, 'AdaptiveCard');
      assert.equal(got.headers['x-vigil-signature'], undefined, 'only JSON webhooks are signed');

      // A wrong address is explained beside the addresses field.
      const mailbox = `Mailbox ${mode}`;
      const address = `oncall-${mode}@example.com`;
      await t.page.getByLabel('Name', { exact: true }).fill(mailbox);
      await t.page.getByLabel('Send to').selectOption('email');
      await t.page.getByLabel('E-mail addresses').fill('not-an-address');
      await t.page.getByRole('button', { name: 'Add channel' }).click();
      await t.page.getByText('“not-an-address” is not an e-mail address.').waitFor();
      await t.settle();

      await t.page.getByLabel('Name', { exact: true }).fill(mailbox);
      await t.page.getByLabel('Send to').selectOption('email');
      await t.page.getByLabel('E-mail addresses').fill(address);
      await t.page.getByRole('button', { name: 'Add channel' }).click();
      await t.settle();
      const mailCard = t.page.getByTestId('notification-channel').filter({ hasText: mailbox });
      await mailCard.getByText(address).waitFor();
      await t.page.getByRole('button', { name: `Send test to ${mailbox}` }).click();
      await t.settle();
      const mail = await server().smtp.mailTo(address, /^\[Vigil\] Test notification from Vigil: this channel works\.$/);
      assert.ok(mail);

      // This server takes no slash commands, and the page says how to set them up.
      const chat = t.page.getByTestId('chat-commands');
      await chat.getByText('Not set up: start Vigil with').first().waitFor();
      assert.match(await chat.textContent(), /--slack-signing-secret/);
    } finally {
      hook.close();
    }
  });
});
