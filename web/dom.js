// Small DOM and formatting helpers. Text from the hub is always inserted as text nodes (never
// as HTML): asset paths, dead-letter payloads and token names come from outside.

// h('a', {href: '#/x', class: 'c', onclick: f, dataset: {k: 'v'}}, 'text', childNode, [more])
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value') {
      el.value = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) {
      append(el, c);
    } else {
      el.append(c instanceof Node ? c : String(c));
    }
  }
}

// A table that becomes a list of cards on narrow screens (style.css: each cell shows its
// column's label from data-label). columns: [{label, cell: row => Node|string, class}].
export function table(columns, rows, {empty = 'Nothing to show.', rowClass} = {}) {
  const head = h('thead', null, h('tr', null, columns.map((c) => h('th', {class: c.class}, c.label))));
  const body = h('tbody');
  for (const row of rows) {
    body.append(h('tr', {class: rowClass ? rowClass(row) : null},
        columns.map((c) => h('td', {class: c.class, 'data-label': c.label}, c.cell(row)))));
  }
  if (rows.length === 0) {
    body.append(h('tr', {class: 'empty'}, h('td', {colspan: columns.length}, empty)));
  }
  return h('div', {class: 'table-wrap'}, h('table', {class: 'cards'}, head, body));
}

export function badge(text, kind = '') {
  return h('span', {class: 'badge' + (kind ? ' ' + kind : '')}, text);
}

// RFC 3339 with up to 9 fraction digits (the API's time format) -> ms since the epoch, or NaN.
// Date.parse is only specified for 3 fraction digits.
export function parseTime(s) {
  if (typeof s !== 'string') return NaN;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return NaN;
  return Date.parse(`${m[1]}.${(m[2] || '').padEnd(3, '0').slice(0, 3)}${m[3]}`);
}

// Seconds -> "now", "12 s", "5 min", "3 h", "2 d".
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '−' : '';
  if (s < 1) return 'now';
  if (s < 60) return `${sign}${Math.floor(s)} s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min`;
  if (s < 86400) return `${sign}${(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
  return `${sign}${(s / 86400).toFixed(s < 864000 ? 1 : 0)} d`;
}

export function localTime(iso) {
  const ms = parseTime(iso);
  return Number.isFinite(ms) ? new Date(ms).toLocaleString() : '—';
}

// "12 s ago" with the exact local time (and the API's UTC form) as a tooltip.
export function ago(iso, ageSeconds) {
  if (!iso) return h('span', {class: 'muted'}, 'never');
  const age = ageSeconds !== undefined && ageSeconds !== null ? ageSeconds
                                                               : (Date.now() - parseTime(iso)) / 1000;
  const text = age < 1 ? 'just now' : `${duration(age)} ago`;
  return h('time', {datetime: iso, title: `${localTime(iso)} (${iso})`}, text);
}

export function number(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

// The time ranges the console offers, as the API's relative `from`.
export const kRanges = [
  {value: '15m', label: '15 min', seconds: 900},
  {value: '1h', label: '1 hour', seconds: 3600},
  {value: '6h', label: '6 hours', seconds: 6 * 3600},
  {value: '24h', label: '24 hours', seconds: 86400},
  {value: '7d', label: '7 days', seconds: 7 * 86400},
  {value: '30d', label: '30 days', seconds: 30 * 86400},
];

export function rangeOf(value, fallback) {
  return kRanges.find((r) => r.value === value) || kRanges.find((r) => r.value === fallback);
}

export function rangeSelect(id, current, onchange) {
  return h('label', {class: 'range'}, 'Range ',
      h('select', {id, onchange: (e) => onchange(e.target.value)},
          kRanges.map((r) => h('option', {value: r.value, selected: r.value === current}, r.label))));
}
