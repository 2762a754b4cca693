// Hostile text through every field a page shows, written as an attacker would: through the
// forms' own endpoints, the JSON API and the alert webhook. Every page that shows the text is
// then opened with JavaScript on and off, and must hold none of the payloads' elements, no
// event-handler attributes, no `javascript:` or `data:` URLs and no navigation away.
import assert from 'node:assert/strict';
import { before } from 'node:test';
import { suite } from '../support/harness.mjs';

// Every payload's own elements carry `data-pwn` (the sanitiser strips data attributes, so
// only markup that escaped it can have one) or try to set `window.__pwned`.
const RUN = 'window.__pwned=1';
export const PAYLOADS = [
  `</textarea><img src=x onerror="${RUN}" data-pwn>`,
  `</TEXTAREA ><svg data-pwn onload=${RUN}>`,
  `</textarea\t><meta http-equiv="refresh" content="0;url=/elsewhere" data-pwn>`,
  `</title><script data-pwn>${RUN}</script>`,
  `</style><img src=x onerror=${RUN} data-pwn>`,
  `</script><img src=x onerror=${RUN} data-pwn>`,
  `</noscript><img src=x onerror=${RUN} data-pwn>`,
  `</textarea><base href="https://evil.example/" data-pwn>`,
  `</textarea><form data-pwn action="https://evil.example/"><button formaction="https://evil.example/">Go</button></form>`,
  `</textarea><iframe data-pwn src="javascript:${RUN}"></iframe>`,
  `<object data-pwn data="javascript:${RUN}"></object>`,
  `<embed data-pwn src="javascript:${RUN}">`,
  `<svg><a xlink:href="javascript:${RUN}"><text y="10">svg link</text></a></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${RUN} data-pwn>`,
  `<a href="jAvAsCrIpT:${RUN}">mixed case</a>`,
  `<a href="&#106;avascript:${RUN}">entity</a>`,
  `<a href="java&#x09;script:${RUN}">tab entity</a>`,
  `<a href=" javascript:${RUN}">leading space</a>`,
  `[markdown link](javascript:${RUN})`,
  `[markdown entity](&#x6A;avascript:${RUN})`,
  `![markdown image](javascript:${RUN})`,
  `![x](x" onerror="${RUN})`,
  `<img src=x onerror=${RUN} data-pwn>`,
  `<details open ontoggle=${RUN} data-pwn>details</details>`,
  `<input autofocus onfocus=${RUN} data-pwn>`,
  `<input type="text" name="password" data-pwn>`,
  `<div style="background:url(javascript:${RUN})" data-pwn>style</div>`,
  `<!--</textarea><img src=x onerror=${RUN} data-pwn>-->`,
  `<![CDATA[</textarea><img src=x onerror=${RUN} data-pwn>]]>`,
  `"><img src=x onerror=${RUN} data-pwn>`,
  `'><svg/onload=${RUN} data-pwn>`,
  `<link rel=stylesheet href=https://evil.example/x.css data-pwn>`,
  `<a href="data:text/html,<script>${RUN}</script>">data url</a>`,
  `<xmp></textarea><img src=x onerror=${RUN} data-pwn></xmp>`,
  `<textarea data-pwn></textarea>`,
  `<button formaction="javascript:${RUN}" data-pwn>button</button>`,
  `<noscript><p title="</noscript><img src=x onerror=${RUN} data-pwn>"></noscript>`,
];

/** Payloads packed into texts of at most `limit` characters (one a line). */
function packed(limit) {
  const out = [];
  let current = '';
  for (const p of PAYLOADS) {
    if (current && current.length + 1 + p.length > limit) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n${p}` : p;
  }
  if (current) out.push(current);
  return out;
}
const ALL = PAYLOADS.join('\n');
const oneLine = (limit) => packed(limit).map((s) => s.replace(/[\n\t]/g, ' '));

/** Posts a server function as a form would (repeated keys allowed), expecting success. */
async function rpc(request, name, pairs) {
  const res = await request.post(`/rpc/${name}`, {
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    data: new URLSearchParams(pairs).toString(),
  });
  const text = await res.text();
  assert.ok(res.ok(), `${name}: ${res.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function api(request, token, method, path, body) {
  const res = await request.fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${text}`);
  return JSON.parse(text);
}

/** Writes payloads into every user-text field; returns the pages that show them. */
async function plant(server, browser, admin) {
  const context = await browser.newContext({ baseURL: server.baseURL });
  const { request } = context;
  await rpc(request, 'sign_in', [['email', admin.email], ['password', admin.password], ['next', '']]);
  const titles = oneLine(190);
  const names = oneLine(95);

  // Service: name, description, runbooks (a title per runbook).
  await rpc(request, 'create_service', [
    ['form[name]', `Checkout ${names[0]}`.slice(0, 100)],
    ['form[description]', ALL],
    ['form[owner_team]', names[1] ?? 'team'],
    ['form[runbooks]', PAYLOADS.slice(0, 20).map((p) => `${p.slice(0, 90)} | https://example.com/runbook`).join('\n')],
  ]);
  const services = await rpc(request, 'list_services', []);
  const service = services[0];

  // Severity descriptions (shown when declaring) and the postmortem template's guidance.
  const severities = await rpc(request, 'admin_severities', []);
  const severityTexts = packed(500);
  for (const [i, level] of severities.entries()) {
    await rpc(request, 'update_severity', [
      ['id', String(level.id)],
      ['version', String(level.version)],
      ['name', level.name],
      ['description', severityTexts[i % severityTexts.length]],
      ...(level.requires_postmortem ? [['requires_postmortem', 'on']] : []),
    ]);
  }
  const template = await rpc(request, 'postmortem_template', []);
  const guidance = packed(1000);
  const pairs = [];
  template.forEach((section, i) => {
    pairs.push(['titles[]', i === 0 ? titles[0].slice(0, 100) : section.title]);
    pairs.push(['guidance[]', guidance[i % guidance.length]]);
    pairs.push(['starters[]', section.starter]);
    pairs.push(['positions[]', String(i + 1)]);
  });
  await rpc(request, 'save_postmortem_template', pairs);

  // An incident declared through the form's endpoint, with a note edited afterwards.
  const severity = severities[severities.length - 1];
  const declared = await rpc(request, 'declare_incident', [
    ['form[title]', titles[1]],
    ['form[severity_id]', String(severity.id)],
    ['form[service_ids][]', String(service.id)],
    ['form[summary]', ALL],
  ]);
  const first = declared.split('/').pop();
  await rpc(request, 'add_incident_note', [['reference', first], ['body', ALL]]);

  // An API token, and an incident with notes and action items through the API.
  const { token } = await rpc(request, 'create_api_token', [['name', names[2] ?? 'script'], ['expires_in_days', '']]);
  const created = await api(request, token, 'POST', '/api/v1/incidents', {
    title: titles[2] ?? titles[0],
    severity_id: severity.id,
    service_ids: [service.id],
    summary: ALL,
  });
  const second = created.reference;
  const note = await api(request, token, 'POST', `/api/v1/incidents/${second}/timeline`, { body: ALL });
  await rpc(request, 'edit_incident_note', [['reference', second], ['event_id', String(note.id)], ['body', `edited ${ALL}`], ['version', String(note.version)]]);
  for (const [i, title] of titles.entries()) {
    await api(request, token, 'POST', `/api/v1/incidents/${second}/action-items`, { title, description: ALL, kind: 'prevent', priority: 'high' });
    if (i >= 2) break;
  }
  await rpc(request, 'add_action_item', [['reference', first], ['form[title]', titles[3] ?? titles[0]], ['form[description]', ALL], ['form[kind]', 'detect'], ['form[priority]', 'low']]);
  const incident = await api(request, token, 'GET', `/api/v1/incidents/${first}`);
  await api(request, token, 'PATCH', `/api/v1/incidents/${first}`, {
    version: incident.version,
    title: titles[4] ?? titles[0],
    summary: `patched ${ALL}`,
  });

  // A postmortem with every section, a saved revision and a review comment.
  await rpc(request, 'start_postmortem', [['reference', second]]);
  const { postmortem } = await rpc(request, 'postmortem_detail', [['reference', second]]);
  const save = [['reference', second], ['version', String(postmortem.version)], ['title', titles[5] ?? titles[0]]];
  for (const section of postmortem.sections) {
    save.push(['section_ids[]', String(section.id)]);
    save.push(['bodies[]', ALL]);
  }
  await rpc(request, 'save_postmortem', save);
  await rpc(request, 'comment_on_postmortem', [['reference', second], ['body', ALL]]);

  // An alert whose labels and annotations carry the payloads, through /hooks.
  const issued = await rpc(request, 'create_alert_source', [
    ['form[name]', names[3] ?? 'source'],
    ['form[kind]', 'alertmanager'],
    ['form[service_id]', String(service.id)],
    ['form[rule_critical]', String(severity.id)],
  ]);
  const annotations = Object.fromEntries(PAYLOADS.map((p, i) => [`a${i}`, p]));
  const hook = await request.post('/hooks/alerts', {
    headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' },
    data: JSON.stringify({
      version: '4',
      status: 'firing',
      groupKey: '{}:{alertname="Hostile"}',
      commonLabels: { alertname: 'Hostile', severity: 'critical' },
      commonAnnotations: { summary: titles[6] ?? titles[0], description: ALL },
      alerts: [{ status: 'firing', labels: { instance: PAYLOADS[0] }, annotations, fingerprint: 'hostile-1' }],
    }),
  });
  assert.equal(hook.status(), 200, await hook.text());
  const opened = (await hook.json()).alerts[0].incident;

  await context.close();
  const serviceSlug = service.slug;
  return [
    '/',
    '/incidents',
    '/incidents/new',
    `/incidents/${first}`,
    `/incidents/${second}`,
    `/incidents/${opened}`,
    `/incidents/${second}/postmortem`,
    `/incidents/${second}/postmortem/history`,
    `/incidents/${second}/postmortem/print`,
    '/postmortems',
    '/action-items',
    '/services',
    `/services/${serviceSlug}`,
    `/services/${serviceSlug}/edit`,
    '/admin/severities',
    '/admin/postmortem-template',
    '/admin/alerts',
    '/admin/audit',
    '/admin/about',
    '/account',
    '/dashboard',
  ];
}

/** Everything a payload could have left live in the page, as readable findings. */
async function liveMarkup(page) {
  return page.evaluate(() => {
    const found = [];
    if (window.__pwned) found.push('a payload ran');
    for (const el of document.querySelectorAll('[data-pwn]')) found.push(`element <${el.localName} data-pwn>`);
    for (const el of document.querySelectorAll('*')) {
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        const value = attr.value.replace(/[\s\u0000-\u001f]+/g, '').toLowerCase();
        if (name.startsWith('on')) found.push(`<${el.localName} ${attr.name}>`);
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'srcdoc'].includes(name)
          && (value.startsWith('javascript:') || value.startsWith('data:') || value.startsWith('vbscript:'))) {
          found.push(`<${el.localName} ${attr.name}="${attr.value}">`);
        }
        if ((name === 'action' || name === 'formaction') && /^(https?:)?\/\//.test(value)) {
          found.push(`<${el.localName} ${attr.name}="${attr.value}">`);
        }
      }
    }
    for (const sel of ['base', 'meta[http-equiv]', 'iframe', 'object', 'embed', 'body link', 'body script:not([nonce])', 'body style', 'textarea textarea']) {
      for (const el of document.querySelectorAll(sel)) found.push(`element ${sel}: ${el.outerHTML.slice(0, 120)}`);
    }
    return found;
  });
}

suite(({ flow, server, browser, user }) => {
  let pages;
  before(async () => {
    pages = await plant(server(), browser(), user('admin'));
  });

  flow('hostile text in every field stays text on every page that shows it', async (t) => {
    await t.signIn(user('admin'));
    const consoleErrors = [];
    t.page.on('console', (msg) => {
      if (msg.type() === 'error' || /hydration|mismatch/i.test(msg.text())) consoleErrors.push(msg.text());
    });
    for (const path of pages) {
      await t.visit(path);
      // Long enough for a refresh of 0 or 1 s to have navigated away.
      await t.page.waitForTimeout(1200);
      assert.equal(new URL(t.page.url()).pathname, path, `still on ${path}`);
      assert.deepEqual(await liveMarkup(t.page), [], `live markup on ${path}`);
    }
    // What is typed into search fields and filters comes back as text: in the page the
    // server renders for the query, and (hydrated) in the suggestions as it is typed.
    for (const payload of PAYLOADS.slice(0, 12)) {
      const q = encodeURIComponent(payload);
      for (const path of [`/incidents?q=${q}&service=${q}`, `/action-items?owner=${q}&service=${q}`, `/postmortems?q=${q}`]) {
        await t.page.goto(path);
        await t.page.waitForTimeout(300);
        assert.deepEqual(await liveMarkup(t.page), [], `live markup on ${path}`);
      }
    }
    if (t.js) {
      await t.visit('/incidents');
      const field = t.page.locator('#filter-service');
      for (const payload of PAYLOADS.slice(0, 6)) {
        await field.fill(payload);
        await t.page.waitForTimeout(400);
        assert.deepEqual(await liveMarkup(t.page), [], `live markup after typing ${payload}`);
      }
    }
    // The textareas hold exactly the text that was written (the editor shows it back).
    await t.visit(pages[6]);
    const body = await t.page.locator('textarea[name="bodies[]"]').first().inputValue();
    assert.equal(body, PAYLOADS.join('\n'));
    const failed = consoleErrors.filter((m) => !/Failed to load resource.*(404|evil\.example)/.test(m));
    assert.deepEqual(failed, [], 'no console errors or hydration warnings');
  });
});
