// The web console (web/) in headless Chromium, driven by playwright-core (tests/peers). Started
// by tests/console_e2e_test.cc against a real hub API server whose store it filled:
//
//   /usr/bin/node tests/console_test.js <base_url> <viewer token>
//
// It expects edge "edge-1" (tenant acme), asset acme/plant-1/line-1/pump-01 with signal
// bearing_de.temp (Cel): 60 readings over the last 10 minutes, values 40..49, and one open
// alert; and one dead letter (out_of_range) whose payload is an HTML injection attempt. Half
// way it prints "LIVE: waiting for new data"; the C++ side then ingests readings of 80 Cel
// and the chart must show them without a reload.
//
// Every step prints what it checks; the first failure prints what was expected and what the
// page showed, and exits 1.
'use strict';

const path = require('path');

const [baseUrl, token] = process.argv.slice(2);
if (!baseUrl || !token) {
  console.error('usage: node tests/console_test.js <base_url> <viewer token>');
  process.exit(2);
}

let chromium;
try {
  ({chromium} = require(path.join(__dirname, 'peers', 'node_modules', 'playwright-core')));
} catch (e) {
  console.error(`FAIL: playwright-core is not installed in tests/peers (${e.message}); ` +
      'run scripts/deps.sh (or scripts/npm-deps.sh)');
  process.exit(1);
}

const kAsset = 'acme/plant-1/line-1/pump-01';
const kSignal = 'bearing_de.temp';
const kChromium = '/usr/bin/chromium';
const kTimeout = 10000;

// STRATA_CONSOLE_SCREENSHOTS=<dir>: also save a screenshot of each view there (to look at).
const kShots = process.env.STRATA_CONSOLE_SCREENSHOTS || '';
async function shot(page, name) {
  if (kShots) await page.screenshot({path: path.join(kShots, `${name}.png`), fullPage: true});
}

let step = 'start';
const kStart = Date.now();
function begin(name) {
  step = name;
  console.log(`STEP ${name} (at ${((Date.now() - kStart) / 1000).toFixed(1)} s)`);
}

class TestFailure extends Error {}
function check(cond, what) {
  if (!cond) throw new TestFailure(what);
}

// Problems the page reported by itself: script errors, console errors (CSP violations show
// there), failed requests. A 401 is expected where a step uses a wrong token.
function watch(page, problems, expected) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location() && m.location().url ? ` (${m.location().url})` : '';
    const text = m.text() + where;
    if (expected.some((re) => re.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('requestfailed', (r) => {
    const failure = r.failure() ? r.failure().errorText : '';
    if (expected.some((re) => re.test(r.url()) || re.test(failure))) return;
    problems.push(`request failed: ${r.url()} ${failure}`);
  });
}

async function text(page, selector) {
  return (await page.locator(selector).first().innerText({timeout: kTimeout})).trim();
}

async function expectText(page, selector, wanted) {
  // The console renders after its fetches answer: wait until the text is there (or the
  // timeout), then check, so that a failure shows what the page shows.
  const want = [].concat(wanted);
  await page
      .waitForFunction(([sel, ws]) => {
        const el = document.querySelector(sel);
        return el !== null && ws.every((w) => el.innerText.includes(w));
      }, [selector, want], {timeout: kTimeout})
      .catch(() => {});
  const got = await text(page, selector);
  for (const w of [].concat(wanted)) {
    check(got.includes(w), `${selector} should contain "${w}"; it shows:\n${got}`);
  }
  return got;
}

async function signIn(page, secret) {
  await page.locator('#token').fill(secret);
  await page.locator('#sign-in').click();
}

async function noHorizontalOverflow(page, where) {
  const m = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    widest: [...document.querySelectorAll('body *')]
        .map((e) => ({e, r: e.getBoundingClientRect()}))
        .filter(({r}) => r.width > 0 && r.right > window.innerWidth + 1)
        .slice(0, 3)
        .map(({e, r}) => `<${e.tagName.toLowerCase()} class="${e.className}"> right=${r.right}`),
  }));
  await shot(page, `phone-${where.replace(/ /g, '-')}`);
  check(m.scroll <= m.inner,
      `${where} at ${m.inner} px: the page scrolls sideways (scrollWidth ${m.scroll}); ` +
      `elements past the edge: ${m.widest.join(', ') || 'none found'}`);
  console.log(`  ${where}: scrollWidth ${m.scroll} <= ${m.inner}`);
}

// Number of pixels of the chart's canvas that are not transparent (the plot is drawn).
async function drawnPixels(page, signal) {
  return page.evaluate((s) => {
    const canvas = document.querySelector(`figure.chart[data-signal="${s}"] canvas`);
    if (!canvas || canvas.width === 0) return -1;
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) n += d[i] !== 0 ? 1 : 0;
    return n;
  }, signal);
}

async function chartData(page, signal) {
  return page.evaluate((s) => {
    const f = document.querySelector(`figure.chart[data-signal="${s}"]`);
    return f ? {points: Number(f.dataset.points || 0), min: Number(f.dataset.min),
      max: Number(f.dataset.max), width: f.getBoundingClientRect().width} : null;
  }, signal);
}

async function desktop(browser) {
  const problems = [];
  const context = await browser.newContext({viewport: {width: 1280, height: 800}});
  const page = await context.newPage();
  page.setDefaultTimeout(kTimeout);
  // Expected: the 401s of the wrong-token and revoked-token steps, the 403 of the tokens page,
  // the 503 and the aborted request of the steps that break the hub on purpose.
  watch(page, problems, [/status of 401/, /status of 403/, /status of 503/, /ERR_CONNECTION_REFUSED/]);

  begin('the console loads and asks for a token');
  const res = await page.goto(baseUrl + '/');
  check(res && res.status() === 200, `GET / answered ${res && res.status()}`);
  await page.locator('#login').waitFor();
  check(page.url().endsWith('#/login'), `the login page should be #/login; the URL is ${page.url()}`);

  begin('a wrong token shows the hub\'s 401 message');
  await signIn(page, 'st_00000000_notatokenthishubknows');
  await page.locator('#login-error').waitFor();
  await expectText(page, '#login-error', ['401', 'not known to this hub']);
  check(page.url().endsWith('#/login'), `a wrong token must stay on the login page: ${page.url()}`);
  await shot(page, 'desktop-login-401');

  begin('a pasted token with spaces inside is refused before it is sent');
  await signIn(page, 'st_0000 0000');
  await expectText(page, '#login-error', 'without spaces');

  begin('the viewer token signs in and shows the fleet');
  await signIn(page, `  ${token}\n`);  // as pasted, with white space around it
  await page.waitForURL(/#\/fleet$/);
  await expectText(page, '#who-name', ['viewer']);
  const fleet = await expectText(page, 'main table',
      ['edge-1', 'acme', 'online', 'obs', 'dlq', 'alr', 'line-1 v7', 'pending']);
  check(!/not enrolled/.test(fleet), `edge-1 is enrolled; the fleet shows:\n${fleet}`);
  await expectText(page, 'main', '1 edge · 1 online');
  check(await page.locator('[data-nav="tokens"]').isHidden(), 'a viewer should not see Tokens in the menu');
  await shot(page, 'desktop-fleet');

  begin('the asset list shows the asset, its staleness and its open alert');
  await page.locator('nav a[data-nav="assets"]').click();
  await page.waitForURL(/#\/assets$/);
  const row = page.locator('main tbody tr', {hasText: kAsset});
  await row.waitFor();
  const alerts = (await row.locator('td[data-label="Active alerts"]').innerText()).trim();
  check(alerts === '1', `the asset row should show 1 active alert; it shows "${alerts}"`);
  const edges = (await row.locator('td[data-label="Edges"]').innerText()).trim();
  check(edges === 'edge-1', `the asset row should name edge-1; it shows "${edges}"`);
  await page.locator('#asset-filter').fill('no-such-thing');
  await expectText(page, 'main tbody', 'No asset matches the filter.');
  await page.locator('#asset-filter').fill('pump-01');
  await row.waitFor();
  await shot(page, 'desktop-assets');

  begin('the asset page shows the twin, the open alert and a chart of the injected data');
  await row.locator('a.asset').click();
  await page.waitForURL((u) => u.hash === '#/assets/' + encodeURIComponent(kAsset));
  await expectText(page, 'main h1', kAsset);
  await expectText(page, 'main table', [kSignal, 'Cel', 'good', 'edge-1']);
  await expectText(page, '.alerts', ['Open alerts (1)', 'score 0.9', 'bearing-xgb 1.0.0', 'accel_rms']);
  await page.waitForFunction((s) => {
    const f = document.querySelector(`figure.chart[data-signal="${s}"]`);
    return f && Number(f.dataset.points) > 0 && f.querySelector('canvas');
  }, kSignal);
  const data = await chartData(page, kSignal);
  // 60 readings 10 s apart in 12 s buckets (1 h / 300 points): about 50 buckets.
  check(data.points >= 40 && data.points <= 60, `the chart should have 40..60 buckets; it has ${data.points}`);
  check(data.min >= 40 && data.min <= 41 && data.max >= 48 && data.max <= 49,
      `the chart's bucket means should span about 40..49 (the injected values); they span ` +
      `${data.min}..${data.max}`);
  const pixels = await drawnPixels(page, kSignal);
  check(pixels > 500, `the chart's canvas should be drawn; ${pixels} pixels are`);
  console.log(`  chart: ${data.points} buckets, means ${data.min}..${data.max}, ${pixels} pixels drawn`);

  begin('the chart is live: new readings show without a reload');
  console.log('LIVE: waiting for new data');
  await page.waitForFunction((s) => {
    const f = document.querySelector(`figure.chart[data-signal="${s}"]`);
    return f && Number(f.dataset.max) > 60;
  }, kSignal, {timeout: 20000}).catch(async () => {
    throw new TestFailure(`the chart did not show the new readings (80 Cel) within 20 s: ` +
        `${JSON.stringify(await chartData(page, kSignal))}`);
  });
  const live = await chartData(page, kSignal);
  console.log(`  chart now: ${live.points} buckets, means up to ${live.max}`);
  await expectText(page, 'main table', '80');
  await shot(page, 'desktop-asset');

  begin('the range selector changes the chart\'s range');
  await page.locator('#range').selectOption('15m');
  await page.waitForURL(/range=15m/);
  await page.waitForFunction((s) => {
    const f = document.querySelector(`figure.chart[data-signal="${s}"]`);
    return f && Number(f.dataset.points) > 0;
  }, kSignal);

  begin('dead letters show reason, source, detail, and the payload as text');
  await page.locator('nav a[data-nav="dead-letters"]').click();
  await page.waitForURL(/#\/dead-letters/);
  await expectText(page, 'main table', ['out_of_range', 'edge-1', 'mqtt tcp://127.0.0.1:1883 plant/pump-01/temp',
    'value 912 above the valid range 0..200 Cel']);
  await expectText(page, 'main table', '<img src=x onerror=window.__xss=1>');
  check(await page.evaluate(() => window.__xss === undefined), 'the dead letter\'s payload ran as HTML');
  await shot(page, 'desktop-dead-letters');

  begin('a page that needs another role says which (403)');
  await page.goto(baseUrl + '/#/tokens');
  await page.locator('#forbidden').waitFor();
  await expectText(page, '#forbidden', ['role admin', 'has role viewer']);
  await shot(page, 'desktop-forbidden');

  begin('a network error is shown, and the view recovers');
  await page.route('**/api/v1/edges', (route) => route.abort('connectionrefused'));
  await page.goto(baseUrl + '/#/fleet');
  await page.locator('#banner').waitFor();
  await expectText(page, '#banner', ['Cannot reach the hub', 'Retrying']);
  await shot(page, 'desktop-network-error');
  await page.unroute('**/api/v1/edges');
  await page.locator('#banner').waitFor({state: 'hidden', timeout: 15000});
  await expectText(page, 'main table', 'edge-1');

  begin('a hub that answers 503 is retried, with its message shown');
  await page.route('**/api/v1/assets', (route) => route.fulfill({
    status: 503, contentType: 'application/json',
    body: JSON.stringify({error: {code: 'unavailable', message: 'the store is busy; retry'}}),
  }));
  await page.goto(baseUrl + '/#/assets');
  await page.locator('#banner').waitFor();
  await expectText(page, '#banner', ['503 unavailable', 'the store is busy', 'Retrying']);
  await page.unroute('**/api/v1/assets');
  await page.locator('nav a[data-nav="assets"]').click();  // the link to this page reloads it
  await page.locator('main tbody tr', {hasText: kAsset}).waitFor();
  await page.locator('#banner').waitFor({state: 'hidden'});

  begin('a token that stops working sends the user back to the login page with the message');
  await page.evaluate(() => sessionStorage.setItem('strata.console.token', 'st_00000000_revokedorwrong'));
  await page.goto(baseUrl + '/#/dead-letters');
  await page.locator('#login-error').waitFor();
  await expectText(page, '#login-error', ['401', 'not known to this hub']);
  check(page.url().includes('next=%23%2Fdead-letters'),
      `the login page should return to the dead letters: ${page.url()}`);
  await signIn(page, token);
  await page.waitForURL(/#\/dead-letters$/);

  begin('sign out');
  await page.locator('#sign-out').click();
  await page.waitForURL(/#\/login$/);
  await expectText(page, '#login-error', 'Signed out.');
  check(await page.evaluate(() => sessionStorage.length === 0), 'signing out should forget the token');

  check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
  await context.close();
}

async function phone(browser) {
  const problems = [];
  const context = await browser.newContext({
    viewport: {width: 375, height: 812}, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(kTimeout);
  watch(page, problems, [/status of 403/]);  // the tokens page

  begin('phone (375 x 812): login');
  await page.goto(baseUrl + '/');
  await page.locator('#login').waitFor();
  await noHorizontalOverflow(page, 'login');
  await signIn(page, token);
  await page.waitForURL(/#\/fleet$/);

  begin('phone: every view fits the width');
  await page.locator('main table').waitFor();
  await expectText(page, 'main table', 'edge-1');
  await noHorizontalOverflow(page, 'fleet');
  await page.goto(baseUrl + '/#/assets');
  await page.locator('main tbody tr', {hasText: kAsset}).waitFor();
  await noHorizontalOverflow(page, 'assets');
  await page.goto(baseUrl + '/#/assets/' + encodeURIComponent(kAsset));
  await page.waitForFunction((s) => {
    const f = document.querySelector(`figure.chart[data-signal="${s}"]`);
    return f && Number(f.dataset.points) > 0 && f.querySelector('canvas');
  }, kSignal);
  const chart = await chartData(page, kSignal);
  check(chart.width <= 375, `the chart is ${chart.width} px wide on a 375 px screen`);
  check(await drawnPixels(page, kSignal) > 300, 'the chart should be drawn on the phone');
  await noHorizontalOverflow(page, 'asset page');
  await page.goto(baseUrl + '/#/dead-letters');
  await expectText(page, 'main table', 'out_of_range');
  await noHorizontalOverflow(page, 'dead letters');
  await page.goto(baseUrl + '/#/tokens');
  await page.locator('#forbidden').waitFor();
  await noHorizontalOverflow(page, 'forbidden page');

  check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
  await context.close();
}

(async () => {
  const started = Date.now();
  let browser;
  try {
    begin('launch chromium');
    browser = await chromium.launch({executablePath: kChromium, headless: true, args: ['--no-sandbox']});
    console.log(`  ${kChromium} ${browser.version()}`);
    await desktop(browser);
    await phone(browser);
    console.log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    const what = e instanceof TestFailure ? e.message : (e && e.stack) || String(e);
    console.error(`FAIL at step "${step}": ${what}`);
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
})();
