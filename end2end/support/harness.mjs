// The browser-test harness: starts the release `vigil` binary on a fresh SQLite file and a
// free port, drives Debian's Chromium with playwright-core, runs every flow with JavaScript
// on and off, and checks every visited page with axe-core.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startSmtp } from './smtp.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BINARY = process.env.VIGIL_BINARY ?? join(root, 'target', 'release', 'vigil');
const SITE_ROOT = process.env.VIGIL_SITE_ROOT ?? join(root, 'target', 'site');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The environment the server runs in: ours, quieter, and never another site root. */
function serverEnv() {
  const env = { ...process.env, VIGIL_LOG: 'warn' };
  delete env.VIGIL_SITE_ROOT;
  return env;
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts Vigil on a fresh database; resolves once /readyz answers 200. `embedded`: with
 * no `--site-root` and run from an empty directory, so only the site built into the
 * binary can be served.
 */
export async function startServer({ embedded = false, port: chosen, args = [] } = {}) {
  assert.ok(existsSync(BINARY), `no release binary at ${BINARY}: run \`make build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const port = chosen ?? await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const logs = [];
  // The status page's subscriber mail goes to a sink the tests read.
  const smtp = await startSmtp();
  const child = spawn(
    BINARY,
    // Webhook receivers in these tests listen on loopback, which Vigil refuses by default.
    ['serve', '--listen', `127.0.0.1:${port}`, ...(embedded ? [] : ['--site-root', SITE_ROOT]), '--database-url', `sqlite://${dir}/vigil.db`, '--allow-private-webhooks',
      '--smtp-url', smtp.url, '--mail-from', 'Acme status <status@acme.test>', ...args],
    { cwd: embedded ? dir : root, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => logs.push(String(d)));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`vigil exited with ${child.exitCode}:\n${logs.join('')}`);
    }
    try {
      const res = await fetch(`${baseURL}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`vigil did not become ready:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  let users = 0;
  return {
    baseURL,
    logs,
    /** The mail Vigil sent (see `smtp.mjs`). */
    smtp,
    /** Loads the demo data (`vigil seed --demo`) into the server's database. */
    seedDemo() {
      const result = spawnSync(BINARY, ['seed', '--demo', '--database-url', `sqlite://${dir}/vigil.db`], { cwd: root, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
    },
    /** Creates a user with `vigil user create`, as an operator would. */
    createUser(role = 'responder') {
      users += 1;
      const user = { email: `${role}${users}@example.com`, name: `Test ${role[0].toUpperCase()}${role.slice(1)} ${users}`, password: `password-${role}-${users}` };
      const result = spawnSync(
        BINARY,
        ['user', 'create', '--email', user.email, '--name', user.name, '--role', role, '--database-url', `sqlite://${dir}/vigil.db`],
        { cwd: root, env: { ...process.env, VIGIL_ADMIN_PASSWORD: user.password }, encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
      return user;
    },
    /**
     * Signs `user` in through the form in a context of its own and returns its storage
     * state, so many fresh contexts (empty caches, other viewports) start signed in.
     */
    async signedInState(browser, user) {
      const context = await browser.newContext({ baseURL });
      const page = await context.newPage();
      await page.goto('/login');
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${baseURL}/`);
      const state = await context.storageState();
      await context.close();
      return state;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      smtp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The pages `make size` and the size test open on a first visit (demo data). */
export const FIRST_VISIT_ROUTES = [
  '/login', '/', '/incidents', '/incidents/new', '/incidents/INC-1', '/postmortems', '/action-items',
  '/services', '/dashboard', '/account', '/admin/users', '/admin/about',
];

/**
 * Opens `route` in a fresh context (empty cache) and counts what came over the wire
 * (Chrome DevTools Protocol): in all, as decoded, and the scripts and wasm alone.
 */
export async function firstVisit(browser, baseURL, storageState, route) {
  const context = await browser.newContext({ baseURL, storageState });
  try {
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const kinds = new Map();
    const counted = { requests: 0, wire: 0, decoded: 0, code: 0 };
    cdp.on('Network.responseReceived', (e) => kinds.set(e.requestId, e.response.mimeType));
    cdp.on('Network.dataReceived', (e) => { counted.decoded += e.dataLength; });
    cdp.on('Network.loadingFinished', (e) => {
      counted.requests += 1;
      counted.wire += e.encodedDataLength;
      if (/javascript|wasm/.test(kinds.get(e.requestId) ?? '')) counted.code += e.encodedDataLength;
    });
    await tab.goto(route, { waitUntil: 'networkidle' });
    await tab.waitForSelector('html[data-hydrated]', { timeout: 15_000 });
    return counted;
  } finally {
    await context.close();
  }
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Fails on serious or critical accessibility violations of the page as it is now.
 *
 * axe-core needs timers, which do not run in a page with JavaScript off; such a page's
 * HTML is checked in a JavaScript-enabled twin (same URL, same CSS, scripts blocked so
 * it stays exactly as the server rendered it).
 */
export async function checkAccessibility(page, { js, browser }) {
  if (js) return runAxe(page);
  const html = await page.content();
  const target = page.url();
  const context = await browser.newContext({ javaScriptEnabled: true });
  try {
    const twin = await context.newPage();
    await twin.route('**/*', (route) => {
      const url = route.request().url();
      if (url === target) return route.fulfill({ status: 200, contentType: 'text/html', body: html });
      if (/\.(js|wasm)$/.test(new URL(url).pathname)) return route.abort();
      return route.continue();
    });
    await twin.goto(target);
    await runAxe(twin);
  } finally {
    await context.close();
  }
}

async function runAxe(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  });
  assert.deepEqual(violations, [], `accessibility violations on ${page.url()}:\n${violations.join('\n')}`);
}

/**
 * Declares one suite whose flows each run twice: hydrated (JavaScript on, waiting for the
 * client to take over) and server-rendered only (JavaScript off).
 */
export function suite(register, { server: serverOptions = {} } = {}) {
  describe('vigil', () => defineSuite(register, serverOptions));
}

function defineSuite(register, serverOptions) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(serverOptions);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Browsers run in UTC unless a flow asks for another zone (`{ timezoneId }`).
  const flow = (name, body, { timezoneId = 'UTC' } = {}) => {
    for (const js of [true, false]) {
      test(`${name} (JavaScript ${js ? 'on' : 'off'})`, async () => {
        const context = await browser.newContext({ javaScriptEnabled: js, baseURL: server.baseURL, timezoneId });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (err) => errors.push(err));
        const t = makeDriver(page, js, server, browser);
        try {
          await body(t);
          assert.deepEqual(errors.map(String), [], 'no uncaught errors in the page');
        } finally {
          await context.close();
        }
      });
    }
  };
  // One user per name and suite, created on first use.
  const users = new Map();
  const user = (role, name = role) => {
    if (!users.has(name)) users.set(name, server.createUser(role));
    return users.get(name);
  };
  register({ flow, server: () => server, browser: () => browser, user });
}

function makeDriver(page, js, server, browser) {
  return {
    page,
    js,
    baseURL: server.baseURL,
    /** Opens `path`, waits for hydration when JavaScript is on, checks accessibility. */
    async visit(path, { status = 200 } = {}) {
      const res = await page.goto(path);
      assert.equal(res.status(), status, `status of ${path}`);
      await this.settle();
      return res;
    },
    /** Opens a public page that ships no script (the status page) and checks it with axe. */
    async visitPublic(path, { status = 200 } = {}) {
      const res = await page.goto(path);
      assert.equal(res.status(), status, `status of ${path}`);
      await page.waitForLoadState('load');
      await checkAccessibility(page, { js, browser });
      return res;
    },
    /** Signs in through the form; lands on `path` (or the overview). */
    async signIn(user, { next } = {}) {
      await this.visit(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${server.baseURL}${next ?? '/'}`);
      await this.settle();
    },
    /**
     * Chooses `name` in a search field (people, services). Hydrated: types the start of it
     * and picks the suggestion with the keyboard (or a click when it is not the first);
     * server-rendered only: types the whole name, which the server resolves.
     */
    async choose(field, name) {
      if (!js) {
        const before = (await field.inputValue()).trim();
        await field.fill(before ? `${before.replace(/,\s*$/, '')}, ${name}` : name);
        return;
      }
      // Keys typed before the picker island hydrates reach no suggestions.
      await page.waitForSelector('html[data-hydrated]', { timeout: 15_000 });
      await field.focus();
      await field.press('End');
      await field.pressSequentially(name.slice(0, Math.max(3, name.length - 2)));
      const options = page.getByRole('option');
      const wanted = page.getByRole('option', { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).first();
      await wanted.waitFor();
      if ((await options.first().textContent()).includes(name)) {
        await field.press('ArrowDown');
        await page.locator('[role=option][aria-selected=true]', { hasText: name }).waitFor();
        await field.press('Enter');
      } else {
        await wanted.click();
      }
      await page.locator('[role=listbox]:not([hidden])').waitFor({ state: 'detached' }).catch(() => {});
      assert.equal(await page.locator('[role=listbox]:not([hidden])').count(), 0, 'the suggestions close after a pick');
    },
    /** Waits until the page is ready to use and checks its accessibility. */
    async settle() {
      await page.waitForLoadState('load');
      if (js) await page.waitForSelector('html[data-hydrated]', { timeout: 15_000 });
      await checkAccessibility(page, { js, browser });
    },
  };
}
