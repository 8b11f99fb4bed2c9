// The Strata console: a single page served by the hub at "/", talking to api/v1 (docs/api.md,
// docs/console.md). No build step, no framework: ES modules, DOM built with dom.js's h().
//
// Routes live in the URL fragment, so the hub only ever serves index.html at "/":
//   #/login  #/fleet  #/assets  #/assets/<asset, URI-encoded>?range=1h  #/dead-letters?range=24h
//   #/tokens (admin)
// A view renders into <main>, then refreshes itself every few seconds while the tab is visible
// ("live"); leaving the view stops its timers, aborts its requests and frees its charts.
//
// Errors: a 401 sends the user back to the login page with the hub's message; a 403 shows
// which role the view needs and which the token has; a network error is shown in a banner above
// the (kept) last data, and the view keeps retrying.

import {ApiError, assetApiPath, cleanToken, forgetToken, get, storedToken, storeToken} from './api.js';
import {SignalChart, chartLibraryMissing} from './chart.js';
import {ago, badge, duration, h, localTime, number, parseTime, rangeOf, rangeSelect, table} from './dom.js';

const kRefreshMs = 5000;
// Fleet health from the age of an edge's last heartbeat or batch (docs/console.md).
const kEdgeLateSeconds = 120;
const kEdgeOfflineSeconds = 900;
// Asset freshness from the age of its newest reading.
const kAssetStaleSeconds = 300;
const kAssetOldSeconds = 3600;

const view = document.getElementById('view');
const banner = document.getElementById('banner');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

let whoami = null;  // the token's entry (GET whoami) once signed in
let loginMessage = '';  // shown on the login page after a 401 or a sign-out
let current = null;  // {controller, timers, cleanups} of the view on screen

// --- routing ---

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const segments = path.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return {path, segments, query};
}

function go(hash) {
  if (location.hash === hash) {
    render();
  } else {
    location.hash = hash;  // hashchange renders
  }
}

function setQuery(key, value) {
  const {path, query} = parseHash();
  query.set(key, value);
  go(`#${path}?${query}`);
}

function stopView() {
  if (!current) return;
  current.controller.abort();
  for (const t of current.timers) clearInterval(t);
  for (const f of current.cleanups) f();
  current = null;
}

async function render() {
  stopView();
  const route = parseHash();
  const ctx = {
    controller: new AbortController(),
    timers: [],
    cleanups: [],
    query: route.query,
  };
  current = ctx;
  view.replaceChildren();
  showBanner('');
  const [first, ...rest] = route.segments;

  if (first === 'login') return loginView(ctx);
  if (!storedToken()) return go(loginHash());
  if (!whoami) {
    try {
      whoami = await get('whoami', {}, {signal: ctx.controller.signal});
      showWho();
    } catch (e) {
      if (ctx !== current) return;
      fail(ctx, e, view);
      // The hub could not be reached or answer: try again, as the views do.
      if (e instanceof ApiError && (e.kind === 'network' || e.status >= 500)) {
        ctx.timers.push(setTimeout(render, kRefreshMs));
      }
      return;
    }
    if (ctx !== current) return;
  }
  setActiveNav(first || 'fleet');
  if (!first || first === 'fleet') return fleetView(ctx);
  if (first === 'assets' && rest.length === 0) return assetsView(ctx);
  if (first === 'assets' && rest.length === 1) return assetView(ctx, rest[0]);
  if (first === 'dead-letters') return deadLettersView(ctx);
  if (first === 'tokens') return tokensView(ctx);
  view.append(h('section', {class: 'panel'}, h('h1', null, 'Not found'),
      h('p', null, 'The console has no page ', h('code', null, location.hash), '. ',
          h('a', {href: '#/fleet'}, 'Go to the fleet'), '.')));
}

// Runs `load` now and then every kRefreshMs while the view is on screen and the tab visible.
// `load` renders what it fetched; a failure goes to fail().
async function live(ctx, target, load) {
  let running = false;
  const tick = async () => {
    if (running || ctx !== current || document.hidden) return;
    running = true;
    try {
      await load();
      if (ctx === current) showBanner('');
    } catch (e) {
      if (ctx === current) fail(ctx, e, target);
    } finally {
      running = false;
    }
  };
  await tick();
  if (ctx === current) ctx.timers.push(setInterval(tick, kRefreshMs));
}

// --- errors ---

function fail(ctx, e, target) {
  if (e && e.name === 'AbortError') return;
  if (!(e instanceof ApiError)) {
    console.error(e);
    showBanner(`The console failed: ${e && e.message ? e.message : e}. Reload the page; if it ` +
        'happens again, report it with the browser console\'s log.');
    return;
  }
  // Not reachable, or unavailable for a moment (503: its store is busy or down; 500: a bug
  // the hub's log explains): keep what is shown, say so, and keep trying.
  if (e.kind === 'network' || e.status >= 500) {
    const what = e.kind === 'network' ? capital(e.message) :
                                        `The hub answered ${e.status} ${e.code}: ${e.message}`;
    showBanner(`${what}. Retrying every ${kRefreshMs / 1000} s; what is shown below may be ` +
        'out of date.', 'warn');
    if (!target.firstChild) {
      target.append(errorPanel(e.kind === 'network' ? 'The hub cannot be reached' :
                                                      'The hub cannot answer right now', e.message));
    }
    return;
  }
  if (e.status === 401) {
    signOut(`The hub refused the token (401 ${e.code}): ${e.message}`);
    return;
  }
  stopTimers(ctx);
  if (e.status === 403) {
    const need = e.requiredRole || 'a higher role';
    target.replaceChildren(h('section', {class: 'panel error', id: 'forbidden'},
        h('h1', null, 'Not allowed'),
        h('p', null, `This page needs a token with role ${need} or above; yours` +
            (e.role ? ` has role ${e.role}` : '') + '. Ask an admin for a token with role ' +
            `${need} (strata hub token create --role ${need} --name "console: <you>").`),
        h('p', {class: 'muted small'}, `${e.message}`)));
    return;
  }
  target.replaceChildren(errorPanel(`The hub answered ${e.status} ${e.code}`, e.message));
}

function stopTimers(ctx) {
  for (const t of ctx.timers) clearInterval(t);
  ctx.timers = [];
}

function errorPanel(title, message) {
  return h('section', {class: 'panel error', role: 'alert'}, h('h2', null, title),
      h('p', null, capital(message)));
}

function capital(s) {
  s = String(s || '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function showBanner(text, kind = 'warn') {
  banner.textContent = text;
  banner.className = text ? kind : '';
  banner.hidden = !text;
}

// --- sign in / out ---

function showWho() {
  const signedIn = Boolean(whoami);
  nav.hidden = !signedIn;
  who.hidden = !signedIn;
  document.getElementById('who-name').textContent =
      signedIn ? `${whoami.name} · ${whoami.role}` : '';
  document.querySelector('[data-nav="tokens"]').hidden = !signedIn || whoami.role !== 'admin';
}

function setActiveNav(name) {
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === name) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
}

// "#/login?next=<this page>", so that signing in comes back here.
function loginHash() {
  const here = location.hash;
  return here && here.startsWith('#/') && !here.startsWith('#/login') ?
      '#/login?next=' + encodeURIComponent(here) : '#/login';
}

function signOut(message) {
  forgetToken();
  whoami = null;
  loginMessage = message || '';
  showWho();
  go(loginHash());
}

function loginView(ctx) {
  whoami = null;
  showWho();
  const input = h('input', {
    id: 'token', type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'st_…', required: true, 'aria-describedby': 'login-error',
  });
  const error = h('p', {id: 'login-error', class: 'error-text', role: 'alert'}, loginMessage);
  error.hidden = !loginMessage;
  loginMessage = '';
  const button = h('button', {type: 'submit', id: 'sign-in'}, 'Sign in');
  const form = h('form', {class: 'panel login', id: 'login'},
      h('h1', null, 'Sign in to the Strata hub'),
      h('label', {for: 'token'}, 'API token'), input, button, error,
      h('p', {class: 'muted small'},
          'An admin makes tokens on the hub: ',
          h('code', null, 'strata hub token create --role viewer --name "console: <you>"'),
          '. The token stays in this browser tab only; closing the tab signs you out.'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = cleanToken(input.value);
    if (!token) {
      error.textContent = 'That is not a token: a token is one word like st_3f9c01ab_…, ' +
          'without spaces. Paste it again.';
      error.hidden = false;
      return;
    }
    button.disabled = true;
    error.hidden = true;
    try {
      whoami = await get('whoami', {}, {token, signal: ctx.controller.signal});
      storeToken(token);
      showWho();
      const next = ctx.query.get('next');
      go(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/fleet');
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      error.textContent = e instanceof ApiError && e.status === 401 ?
          `The hub refused the token (401 ${e.code}): ${e.message}` :
          capital(e.message || String(e));
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  view.append(form);
  input.focus();
}

// --- views ---

function header(title, ...extra) {
  return h('div', {class: 'view-head'}, h('h1', null, title), ...extra);
}

function updated() {
  return h('span', {class: 'muted small updated'}, `updated ${new Date().toLocaleTimeString()}`);
}

function edgeHealth(edge) {
  const age = edge.last_seen_age_seconds;
  if (age === null || age === undefined) return {label: 'never seen', kind: 'muted'};
  if (age <= kEdgeLateSeconds) return {label: 'online', kind: 'ok'};
  if (age <= kEdgeOfflineSeconds) return {label: 'late', kind: 'warn'};
  return {label: 'offline', kind: 'bad'};
}

function streamLag(edge) {
  if (!edge.streams || edge.streams.length === 0) return h('span', {class: 'muted'}, 'no data yet');
  return h('ul', {class: 'streams'}, edge.streams.map((s) => h('li', {
    title: `${s.stream}: ${s.records} records stored, complete through seq ${s.through}; ` +
        `last batch ${localTime(s.updated)}`,
  }, h('span', {class: 'stream'}, s.stream), ' ', duration(s.lag_seconds))));
}

// The desired config version and whether the edge's last report says it runs it.
function desiredConfig(edge) {
  const d = edge.desired;
  if (!d || d.state === 'none') return h('span', {class: 'muted'}, '—');
  const want = d.document && d.document.config_version ? d.document.config_version : `v${d.version}`;
  const reported = edge.reported && typeof edge.reported === 'object' &&
      edge.reported.version === d.version ? edge.reported : {};
  const kinds = {applied: 'ok', pending: 'warn', rejected: 'bad', unknown: 'muted'};
  const label = d.state === 'unknown' ? 'sent' : d.state;
  return h('span', {title: reported.message || `desired state version ${d.version}`},
      want, ' ', badge(label, kinds[d.state] || 'muted'));
}

async function fleetView(ctx) {
  const summary = h('p', {class: 'muted'});
  const body = h('div');
  const stamp = h('span');
  view.append(header('Fleet', stamp), summary, body);
  await live(ctx, body, async () => {
    const edges = await get('edges', {}, {signal: ctx.controller.signal});
    const items = edges.items || [];
    const counts = {online: 0, late: 0, offline: 0};
    for (const e of items) {
      const k = edgeHealth(e).label;
      if (k in counts) counts[k]++;
    }
    summary.textContent = `${items.length} edge${items.length === 1 ? '' : 's'} · ` +
        `${counts.online} online · ${counts.late} late · ${counts.offline} offline`;
    body.replaceChildren(table([
      {label: 'Edge', cell: (e) => h('span', null, h('strong', null, e.edge_id),
          e.enrolled ? null : [' ', badge('not enrolled', 'warn')])},
      {label: 'Tenant', cell: (e) => e.tenant || h('span', {class: 'muted'}, '—')},
      {label: 'Health', cell: (e) => {
        const s = edgeHealth(e);
        const outbox = e.heartbeat && typeof e.heartbeat === 'object' ? e.heartbeat.outbox : undefined;
        return h('span', null, badge(s.label, s.kind),
            typeof outbox === 'number' && outbox > 0 ? [' ', badge(`outbox ${outbox}`, 'warn')] : null);
      }},
      {label: 'Last seen', cell: (e) => ago(e.last_seen, e.last_seen_age_seconds)},
      {label: 'Lag per stream', cell: streamLag},
      {label: 'Config', cell: desiredConfig},
    ], items, {empty: 'No edge is enrolled or has sent data yet (strata hub edge add).'}));
    stamp.replaceChildren(updated());
  });
}

function freshness(staleness) {
  if (staleness <= kAssetStaleSeconds) return badge(duration(staleness), 'ok');
  if (staleness <= kAssetOldSeconds) return badge(duration(staleness), 'warn');
  return badge(duration(staleness), 'bad');
}

function assetLink(asset) {
  return h('a', {href: '#/assets/' + encodeURIComponent(asset), class: 'asset'}, asset);
}

async function assetsView(ctx) {
  const filter = h('input', {
    type: 'search', id: 'asset-filter', placeholder: 'Filter by path', 'aria-label': 'Filter assets',
    value: ctx.query.get('q') || '',
  });
  const body = h('div');
  const stamp = h('span');
  let items = [];
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = q ? items.filter((a) => a.asset.toLowerCase().includes(q)) : items;
    body.replaceChildren(table([
      {label: 'Asset', cell: (a) => assetLink(a.asset)},
      {label: 'Signals', class: 'num', cell: (a) => String(a.signals)},
      {label: 'Edges', cell: (a) => (a.edges || []).join(', ')},
      {label: 'Last seen', cell: (a) => ago(a.last_seen, a.staleness_seconds)},
      {label: 'Staleness', cell: (a) => freshness(a.staleness_seconds)},
      {label: 'Active alerts', class: 'num', cell: (a) => a.active_alerts > 0 ?
          badge(String(a.active_alerts), 'bad') : h('span', {class: 'muted'}, '0')},
    ], shown, {
      empty: items.length ? 'No asset matches the filter.' : 'The hub has no data of any asset yet.',
      rowClass: (a) => (a.active_alerts > 0 ? 'alerting' : null),
    }));
  };
  filter.addEventListener('input', draw);
  view.append(header('Assets', stamp), h('div', {class: 'toolbar'}, filter), body);
  await live(ctx, body, async () => {
    const assets = await get('assets', {}, {signal: ctx.controller.signal});
    items = assets.items || [];
    draw();
    stamp.replaceChildren(updated());
  });
}

function alertCard(a) {
  const model = a.model ? `${a.model.name} ${a.model.version}` : 'unknown model';
  return h('li', {class: 'alert-card'},
      h('div', null, badge('open', 'bad'), ' ', h('strong', null, `score ${number(a.score)}`),
          ` · ${model} · opened `, ago(a.opened)),
      a.reasons && a.reasons.length ? h('ul', {class: 'reasons'}, a.reasons.map((r) =>
          h('li', null, h('code', null, r.feature), ` = ${number(r.value)} `,
              h('span', {class: 'muted'}, `(contribution ${number(r.contribution)})`)))) : null,
      a.trace_id ? h('div', {class: 'muted small mono'}, `trace ${a.trace_id}`) : null);
}

async function assetView(ctx, asset) {
  const range = rangeOf(ctx.query.get('range'), '1h');
  const meta = h('p', {class: 'muted meta'});
  const alerts = h('div');
  const twin = h('div');
  const charts = h('div', {class: 'charts'});
  const chartNote = h('p', {class: 'muted small'});
  const stamp = h('span');
  view.append(
      h('p', {class: 'crumbs'}, h('a', {href: '#/assets'}, 'Assets'), ' / '),
      header(asset, stamp), meta, alerts,
      h('h2', null, 'Signals'), twin,
      h('div', {class: 'view-head'}, h('h2', null, 'Charts'),
          rangeSelect('range', range.value, (v) => setQuery('range', v))),
      chartNote, charts);

  const byName = new Map();  // signal -> SignalChart
  ctx.cleanups.push(() => {
    for (const c of byName.values()) c.destroy();
    byName.clear();
  });
  const observer = new ResizeObserver(() => {
    for (const c of byName.values()) c.resize();
  });
  observer.observe(charts);
  ctx.cleanups.push(() => observer.disconnect());
  if (chartLibraryMissing()) {
    chartNote.textContent = 'Charts are unavailable: this hub serves the console without its ' +
        'chart library (web/vendor/uPlot.iife.min.js). Run scripts/fetch-web-deps.sh on the hub.';
    chartNote.className = 'error-text';
  }

  const path = assetApiPath(asset);
  await live(ctx, view, async () => {
    const [state, series] = await Promise.all([
      get(path, {}, {signal: ctx.controller.signal}),
      get(path + '/series', {from: '-' + range.value, points: 300}, {signal: ctx.controller.signal}),
    ]);
    meta.replaceChildren('Last seen ', ago(state.last_seen, state.staleness_seconds), ' · ',
        `${state.signals.length} signal${state.signals.length === 1 ? '' : 's'}`,
        state.model ? ` · model ${state.model.name} ${state.model.version}, last decision ` +
            `${state.model.label || ''} (score ${number(state.model.score)}) ` : '',
        state.model ? ago(state.model.last_decision) : '');
    alerts.replaceChildren(state.active_alerts.length ? h('section', {class: 'panel alerts'},
        h('h2', null, `Open alerts (${state.active_alerts.length})`),
        h('ul', {class: 'plain'}, state.active_alerts.map(alertCard))) : '');
    twin.replaceChildren(table([
      {label: 'Signal', cell: (s) => h('code', null, s.signal)},
      {label: 'Value', class: 'num', cell: (s) => s.is_block ? h('span', {class: 'muted'}, 'waveform') :
          h('strong', null, number(s.value))},
      {label: 'Unit', cell: (s) => s.unit || '—'},
      {label: 'Quality', cell: (s) => badge(s.quality,
          s.quality === 'good' ? 'ok' : s.quality === 'uncertain' ? 'warn' : 'bad')},
      {label: 'Time', cell: (s) => ago(s.ts, s.staleness_seconds)},
      {label: 'Edge', cell: (s) => s.edge_id},
    ], state.signals, {empty: 'No signals.'}));

    if (chartLibraryMissing()) return;
    // The range the hub answered for, by its clock (the browser's may be off).
    const shownRange = {from: parseTime(series.from) / 1000, to: parseTime(series.to) / 1000};
    const scalar = state.signals.filter((s) => !s.is_block);
    const seriesBy = new Map((series.series || []).map((s) => [s.signal, s]));
    const wanted = new Set([...scalar.map((s) => s.signal), ...seriesBy.keys()]);
    for (const [name, chart] of byName) {
      if (!wanted.has(name)) {
        chart.destroy();
        chart.figure.remove();
        byName.delete(name);
      }
    }
    for (const name of [...wanted].sort()) {
      let chart = byName.get(name);
      const unit = (seriesBy.get(name) || scalar.find((s) => s.signal === name) || {}).unit || '';
      if (!chart) {
        const figure = h('figure', {class: 'chart', dataset: {signal: name}},
            h('figcaption', null, h('code', null, name), unit ? ` (${unit})` : ''));
        charts.append(figure);
        chart = new SignalChart(figure, name, unit);
        byName.set(name, chart);
      }
      chart.update(seriesBy.get(name), series.bucket_seconds, shownRange);
    }
    chartNote.textContent = wanted.size ?
        `Mean per ${duration(series.bucket_seconds)} bucket, band from min to max; ` +
            `refreshes every ${kRefreshMs / 1000} s.` :
        'This asset has no scalar signals to chart.';
    stamp.replaceChildren(updated());
  });
}

function payloadCell(d) {
  if (!d.payload) return h('span', {class: 'muted'}, '—');
  const short = d.payload.length > 80 ? d.payload.slice(0, 80) + '…' : d.payload;
  if (short === d.payload && !d.payload_truncated) return h('code', {class: 'payload'}, d.payload);
  return h('details', null, h('summary', null, h('code', {class: 'payload'}, short)),
      h('pre', {class: 'payload'}, d.payload + (d.payload_truncated ? '\n… (cut at 4 KiB)' : '')));
}

async function deadLettersView(ctx) {
  const range = rangeOf(ctx.query.get('range'), '24h');
  const limit = 200;
  const note = h('p', {class: 'muted small'});
  const body = h('div');
  const stamp = h('span');
  view.append(header('Dead letters', stamp),
      h('p', {class: 'muted'}, 'Readings the edges rejected (failed decoding, mapping or ' +
          'validation), newest first.'),
      h('div', {class: 'toolbar'}, rangeSelect('range', range.value, (v) => setQuery('range', v))),
      note, body);
  await live(ctx, body, async () => {
    const list = await get('dead-letters', {from: '-' + range.value, limit},
        {signal: ctx.controller.signal});
    const items = list.items || [];
    note.textContent = list.truncated ?
        `Showing the newest ${limit}; choose a shorter range to see the rest.` :
        `${items.length} in the last ${range.label}.`;
    body.replaceChildren(table([
      {label: 'Time', cell: (d) => ago(d.ts)},
      {label: 'Edge', cell: (d) => d.edge_id},
      {label: 'Reason', cell: (d) => badge(d.reason, 'warn')},
      {label: 'Source', cell: (d) => h('span', {class: 'mono wrap'}, d.source)},
      {label: 'Detail', cell: (d) => h('span', {class: 'wrap'}, d.detail)},
      {label: 'Payload', cell: payloadCell},
    ], items, {empty: `No dead letters in the last ${range.label}.`}));
    stamp.replaceChildren(updated());
  });
}

async function tokensView(ctx) {
  const body = h('div');
  const stamp = h('span');
  view.append(header('Tokens', stamp),
      h('p', {class: 'muted'}, 'API tokens of this hub (never their secrets). Make and revoke ' +
          'them with strata hub token create or the API (docs/api.md).'), body);
  await live(ctx, view, async () => {
    const list = await get('tokens', {}, {signal: ctx.controller.signal});
    body.replaceChildren(table([
      {label: 'Id', cell: (t) => h('code', null, t.id)},
      {label: 'Name', cell: (t) => t.name},
      {label: 'Role', cell: (t) => t.role},
      {label: 'Created', cell: (t) => ago(t.created)},
      {label: 'State', cell: (t) => t.revoked ? badge('revoked', 'muted') : badge('active', 'ok')},
    ], list.items || [], {empty: 'No tokens.'}));
    stamp.replaceChildren(updated());
  });
}

// --- start ---

document.getElementById('sign-out').addEventListener('click', () => {
  forgetToken();
  whoami = null;
  loginMessage = 'Signed out.';
  showWho();
  go('#/login');
});
window.addEventListener('hashchange', render);
// The link to the page on screen reloads it (the browser sees no change of address).
nav.addEventListener('click', (e) => {
  const a = e.target.closest('a');
  if (a && a.getAttribute('href') === location.hash) {
    e.preventDefault();
    render();
  }
});
render();
