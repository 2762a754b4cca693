// What a first visit to each page downloads, measured in Chromium (`make size`): the
// release binary serves its embedded site on the demo data; each page is opened signed
// in, with an empty cache, and every response is counted as it came over the wire
// (compressed) and as decoded. Prints one row per route and the largest.
import { startServer, launchBrowser, firstVisit, FIRST_VISIT_ROUTES } from '../end2end/support/harness.mjs';

const server = await startServer({ embedded: true });
const browser = await launchBrowser();
try {
  server.seedDemo();
  const storageState = await server.signedInState(browser, server.createUser('admin'));

  const kib = (n) => `${(n / 1024).toFixed(1).padStart(8)} KiB`;
  console.log(`${'route'.padEnd(20)} ${'requests'.padStart(8)} ${'on the wire'.padStart(12)} ${'JS + wasm'.padStart(12)} ${'decoded'.padStart(12)}`);
  let largest = { route: '', wire: 0 };
  for (const route of FIRST_VISIT_ROUTES) {
    const { requests, wire, code, decoded } = await firstVisit(browser, server.baseURL, storageState, route);
    console.log(`${route.padEnd(20)} ${String(requests).padStart(8)} ${kib(wire)} ${kib(code)} ${kib(decoded)}`);
    if (wire > largest.wire) largest = { route, wire };
  }
  console.log(`largest first visit: ${largest.route} ${kib(largest.wire).trim()} (goal: at most 600 KiB, of it JS + wasm at most 200 KiB)`);

  // The incident page on a slow phone: 4x CPU throttling and DevTools' "Slow 3G"
  // (2 s round trips, 50 kB/s each way), from an empty cache.
  const context = await browser.newContext({ baseURL: server.baseURL, storageState });
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 2000, downloadThroughput: 50_000, uploadThroughput: 50_000 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await tab.goto('/incidents/INC-1', { waitUntil: 'load', timeout: 180_000 });
  await tab.waitForSelector('html[data-hydrated]', { timeout: 180_000 });
  const times = await tab.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    load: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? NaN,
    hydrated: performance.getEntriesByName('vigil-hydrated')[0]?.startTime ?? NaN,
  }));
  await context.close();
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`incident page, 4x CPU + Slow 3G: first contentful paint ${s(times.paint)} (usable: forms work without the script), load ${s(times.load)}, interactive (hydrated) ${s(times.hydrated)} (goal: under 2 s)`);
} finally {
  await browser.close();
  await server.stop();
}
