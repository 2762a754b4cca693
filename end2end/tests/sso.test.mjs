import assert from 'node:assert/strict';
import { after } from 'node:test';
import { freePort, suite } from '../support/harness.mjs';
import { startIdp } from '../support/oidc.mjs';

// Vigil's address is chosen first: the provider registers its redirect URL from it.
const port = await freePort();
const vigil = `http://127.0.0.1:${port}`;
const idp = await startIdp({ vigil });
after(() => idp.close());

const origin = (url) => new URL(url).origin;

/**
 * Signs in as `login` on the provider's own screens (any password does), gives consent
 * when it asks, and returns once the browser is back at Vigil.
 */
async function atProvider(page, login) {
  await page.waitForURL((url) => origin(url) === idp.issuer);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const deadline = Date.now() + 20_000;
  while (origin(page.url()) !== vigil) {
    assert.ok(Date.now() < deadline, `stuck at ${page.url()}`);
    const consent = page.getByRole('button', { name: 'Continue' });
    if (await consent.isVisible().catch(() => false)) await consent.click().catch(() => {});
    await page.waitForTimeout(200);
  }
}

suite(({ flow }) => {
  flow('a person signs in at the identity provider, and out of Vigil and the provider', async (t) => {
    const login = `grace-${t.js ? 'js' : 'nojs'}`;
    await t.visit('/login?next=/incidents');
    await t.page.getByRole('link', { name: 'Sign in with Acme ID' }).click();
    await atProvider(t.page, login);
    await t.page.waitForURL(`${vigil}/incidents`);
    await t.settle();
    assert.equal((await t.page.getByTestId('current-user').textContent()).trim(), 'Grace Hopper');
    assert.equal((await t.page.locator('.user-menu .badge').textContent()).trim(), 'Responder');

    // Signing out ends Vigil's session, then the provider's (it asks to confirm).
    await t.page.getByRole('button', { name: 'Sign out' }).click();
    await t.page.waitForURL((url) => origin(url) === idp.issuer);
    await t.page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await t.page.waitForURL(`${vigil}/login`);
    await t.settle();
    const res = await t.page.request.post(`${vigil}/rpc/current_user`, { headers: { accept: 'application/json' }, form: {} });
    assert.equal(await res.text(), 'null');
    // The provider asks who it is again: its session ended too.
    await t.page.getByRole('link', { name: 'Sign in with Acme ID' }).click();
    await t.page.waitForURL((url) => origin(url) === idp.issuer);
    await t.page.locator('input[name=login]').waitFor();
  });

  flow('an admin by group sees the single sign-on settings; an unverified email is refused', async (t) => {
    const mode = t.js ? 'js' : 'nojs';
    const admin = `ada-${mode}`;
    idp.people.set(admin, { name: 'Ada Admin', groups: ['vigil-admins', 'staff'] });
    await t.visit('/login');
    await t.page.getByRole('link', { name: 'Sign in with Acme ID' }).click();
    await atProvider(t.page, admin);
    await t.page.waitForURL(`${vigil}/`);
    await t.settle();
    assert.equal((await t.page.locator('.user-menu .badge').textContent()).trim(), 'Admin');

    await t.visit('/admin/users');
    const card = t.page.getByTestId('sso-settings');
    await card.getByText('Acme ID').waitFor();
    await card.getByText(`${vigil}/auth/oidc/corp/callback`).waitFor();
    await card.getByText('vigil-admins').waitFor();
    const row = t.page.getByRole('row').filter({ hasText: `${admin}@example.com` });
    await row.getByText('Acme ID').waitFor();

    // Someone whose email the provider has not verified gets a clear refusal.
    const context = await t.page.context().browser().newContext({ javaScriptEnabled: t.js, baseURL: vigil });
    try {
      const page = await context.newPage();
      const stranger = `unverified-${mode}`;
      idp.people.set(stranger, { email_verified: false });
      await page.goto('/login');
      await page.getByRole('link', { name: 'Sign in with Acme ID' }).click();
      await atProvider(page, stranger);
      await page.waitForURL(`${vigil}/login?sso_error=email_unverified`);
      await page.getByRole('alert').filter({ hasText: 'has not verified your email' }).waitFor();
    } finally {
      await context.close();
    }
  });
}, { server: { port, args: idp.vigilArgs } });
