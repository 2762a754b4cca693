import assert from 'node:assert/strict';
import { suite } from '../support/harness.mjs';

suite(({ flow, user }) => {
  flow('sign in, see your name in the header, sign out', async (t) => {
    await t.signIn(user('responder'));
    assert.equal(await t.page.getByTestId('current-user').textContent(), user('responder').name);
    await t.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await t.page.waitForURL(/\/login/);
    await t.settle();
    assert.equal(await t.page.getByTestId('current-user').count(), 0);
    const res = await t.page.goto('/account');
    assert.match(t.page.url(), /\/login\?next=\/account$/, 'signed out for real');
    assert.equal(res.status(), 200);
  });

  flow('a protected page sends you to sign in and back afterwards', async (t) => {
    await t.visit('/account');
    assert.match(t.page.url(), /\/login\?next=\/account$/);
    await t.page.getByLabel('Email', { exact: true }).fill(user('responder').email);
    await t.page.getByLabel('Password').fill(user('responder').password);
    await t.page.getByRole('button', { name: 'Sign in' }).click();
    await t.page.waitForURL(`${t.baseURL}/account`);
    await t.settle();
    assert.equal(await t.page.locator('h1').textContent(), 'My account');
  });

  flow('a wrong password shows a clear error next to the form', async (t) => {
    await t.visit('/login');
    await t.page.getByLabel('Email', { exact: true }).fill(user('responder').email);
    await t.page.getByLabel('Password').fill('not the password');
    await t.page.getByRole('button', { name: 'Sign in' }).click();
    const alert = t.page.getByRole('alert');
    await alert.waitFor();
    assert.equal((await alert.textContent()).trim(), 'The email or password is not correct.');
    await t.settle();
    assert.equal(await t.page.getByTestId('current-user').count(), 0);
  });

  flow('an admin invites someone, who signs in with the temporary password', async (t) => {
    await t.signIn(user('admin'));
    const nav = t.page.getByRole('navigation', { name: 'Primary' });
    await nav.getByText('Admin', { exact: true }).click();
    await nav.getByRole('link', { name: 'Users' }).click();
    await t.page.waitForURL(`${t.baseURL}/admin/users`);
    await t.settle();
    const email = `invitee-${t.js ? 'js' : 'nojs'}@example.com`;
    const form = t.page.locator('form', { has: t.page.getByRole('button', { name: 'Invite', exact: true }) });
    await form.getByLabel('Email', { exact: true }).fill(email);
    await form.getByLabel('Name', { exact: true }).fill('Invited Person');
    await form.getByLabel('Role', { exact: true }).selectOption('viewer');
    await form.getByRole('button', { name: 'Invite', exact: true }).click();
    const password = t.page.getByTestId('temporary-password');
    await password.waitFor();
    const temporary = (await password.textContent()).trim();
    assert.equal(temporary.length, 16);
    await t.page.getByRole('cell', { name: email }).waitFor();
    await t.settle();

    await t.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await t.page.waitForURL(/\/login/);
    // A temporary password leads straight to choosing one's own, and nothing else opens.
    await t.signIn({ email, password: temporary }, { next: '/account' });
    assert.equal(await t.page.getByTestId('current-user').textContent(), 'Invited Person');
    await t.page.getByText('You signed in with a temporary password. Choose your own now.').waitFor();
    await t.visit('/incidents', { status: 200 });
    assert.equal(new URL(t.page.url()).pathname, '/account');
  });
});
