// The release binary alone serves the whole site: the bundles embedded in it under
// fingerprinted names with a year-long immutable lifetime, brotli or gzip as the browser
// accepts, revalidation for the plain names, and compressed HTML.

import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, test } from 'node:test';
import { startServer } from '../support/harness.mjs';

let server;
before(async () => { server = await startServer({ embedded: true }); });
after(async () => { await server?.stop(); });

/** A GET without any decoding: the bytes on the wire and the headers. */
function fetchRaw(path, headers = {}) {
  return new Promise((resolve, reject) => {
    // Host, port and path given apart: a URL would resolve `..` before sending.
    const { hostname, port } = new URL(server.baseURL);
    get({ hostname, port, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('the binary serves its embedded site, fingerprinted, precompressed and cached', async () => {
  const page = await fetchRaw('/login', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-encoding'], 'br', 'HTML is compressed');
  const { brotliDecompressSync } = await import('node:zlib');
  const html = brotliDecompressSync(page.body).toString('utf8');
  const css = html.match(/href="(\/pkg\/vigil\.[0-9a-f]{10}\.css)"/)?.[1];
  const js = html.match(/href="(\/pkg\/vigil\.[0-9a-f]{10}\.js)"/)?.[1];
  const wasm = html.match(/href="(\/pkg\/vigil\.[0-9a-f]{10}\.wasm)"/)?.[1];
  assert.ok(css && js && wasm, `the page links fingerprinted bundles:\n${html.slice(0, 2000)}`);

  const firstVisit = { html: page.body.length };
  for (const [name, path] of [['css', css], ['js', js], ['wasm', wasm]]) {
    const br = await fetchRaw(path, { 'accept-encoding': 'gzip, br' });
    assert.equal(br.status, 200, path);
    assert.equal(br.headers['content-encoding'], 'br', `${path} in brotli`);
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(br.headers.vary, 'accept-encoding');
    const gz = await fetchRaw(path, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip', `${path} in gzip`);
    const raw = await fetchRaw(path);
    assert.equal(raw.headers['content-encoding'], undefined);
    assert.ok(br.body.length < raw.body.length, `${path}: brotli is smaller`);
    firstVisit[name] = br.body.length;
  }
  const wasmRaw = await fetchRaw(wasm);
  assert.equal(wasmRaw.headers['content-type'], 'application/wasm');
  assert.equal(wasmRaw.body.subarray(0, 4).toString('hex'), '0061736d', 'a wasm module');

  // The plain name revalidates; an unchanged file is a 304.
  const plain = await fetchRaw('/pkg/vigil.wasm');
  assert.equal(plain.headers['cache-control'], 'no-cache');
  const again = await fetchRaw('/pkg/vigil.wasm', { 'if-none-match': plain.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  // Files at the site root, and nothing else.
  const icon = await fetchRaw('/favicon.svg');
  assert.equal(icon.status, 200);
  assert.equal(icon.headers['content-type'], 'image/svg+xml');
  assert.equal((await fetchRaw('/pkg/vigil.0000000000.wasm')).status, 404, 'an old fingerprint');
  assert.equal((await fetchRaw('/pkg/../Cargo.toml')).status, 404);

  const kib = (n) => (n / 1024).toFixed(1);
  const total = Object.values(firstVisit).reduce((a, b) => a + b, 0);
  console.log(`first visit of /login (brotli): html ${kib(firstVisit.html)} KiB, css ${kib(firstVisit.css)}, js ${kib(firstVisit.js)}, wasm ${kib(firstVisit.wasm)}; total ${kib(total)} KiB`);
});
