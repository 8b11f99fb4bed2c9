// Charts of an asset's series (GET api/v1/assets/{asset}/series) with uPlot, loaded by
// index.html from vendor/ (scripts/fetch-web-deps.sh). One chart per signal: the bucket mean
// as a line, and the bucket min..max as a band around it. A bucket without data is a gap in
// the line, not a straight segment over it.
//
// For tests and for anyone inspecting the page, each chart's <figure> carries
// data-signal, data-points (buckets drawn), data-min and data-max (of the bucket means).

import {h, number, parseTime} from './dom.js';

export function chartLibraryMissing() {
  return typeof window.uPlot !== 'function';
}

// series: one item of the API's "series" array; bucketSeconds: the response's bucket_seconds.
// Returns {x, mean, min, max} with x in seconds since the epoch (uPlot's time unit) at the
// bucket's middle, and null points where buckets are missing.
export function toColumns(series, bucketSeconds) {
  const x = [];
  const mean = [];
  const min = [];
  const max = [];
  let last = null;
  for (const p of series.points) {
    const t = parseTime(p.t) / 1000 + bucketSeconds / 2;
    if (!Number.isFinite(t)) continue;
    if (last !== null && t - last > 1.5 * bucketSeconds) {
      x.push(last + bucketSeconds);
      mean.push(null);
      min.push(null);
      max.push(null);
    }
    x.push(t);
    mean.push(p.mean);
    min.push(p.min);
    max.push(p.max);
    last = t;
  }
  return {x, mean, min, max};
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

// A chart of one signal in `figure` (a <figure> it owns). update() replaces the data;
// resize() follows the figure's width; destroy() frees it.
export class SignalChart {
  constructor(figure, signal, unit) {
    this.figure = figure;
    this.signal = signal;
    this.unit = unit;
    this.plot = null;
    this.empty = h('p', {class: 'muted chart-empty'}, 'No data in this range.');
    this.host = h('div', {class: 'chart-host'});
    figure.append(this.host, this.empty);
  }

  // The figure's content width (clientWidth includes its padding).
  width() {
    const style = getComputedStyle(this.figure);
    const inner = this.figure.clientWidth - parseFloat(style.paddingLeft || '0') -
        parseFloat(style.paddingRight || '0');
    return Math.max(200, Math.floor(inner > 0 ? inner : 300));
  }

  height() {
    return window.matchMedia('(max-width: 640px)').matches ? 160 : 220;
  }

  update(series, bucketSeconds, range) {
    const c = series ? toColumns(series, bucketSeconds) : {x: [], mean: [], min: [], max: []};
    const data = [c.x, c.mean, c.min, c.max];
    const values = c.mean.filter((v) => v !== null);
    this.figure.dataset.points = String(values.length);
    this.figure.dataset.min = values.length ? String(Math.min(...values)) : '';
    this.figure.dataset.max = values.length ? String(Math.max(...values)) : '';
    this.empty.hidden = values.length > 0;
    this.host.hidden = values.length === 0;
    if (values.length === 0) return;
    if (!this.plot) {
      this.plot = this.create(data);
    } else {
      this.plot.setData(data);
    }
    // Show the whole selected range, so that a signal that stopped reporting shows as such.
    if (range && Number.isFinite(range.from) && Number.isFinite(range.to)) {
      this.plot.setScale('x', {min: range.from, max: range.to});
    }
  }

  create(data) {
    const line = cssVar('--chart-line', '#1f6feb');
    const band = cssVar('--chart-band', 'rgba(31, 111, 235, 0.15)');
    const axis = cssVar('--fg-muted', '#666');
    const grid = cssVar('--grid', 'rgba(0, 0, 0, 0.07)');
    const axisStyle = {stroke: axis, grid: {stroke: grid, width: 1}, ticks: {stroke: grid, width: 1}};
    const fmt = (u, v) => (v === null || v === undefined ? '—' : number(v));
    return new window.uPlot({
      width: this.width(),
      height: this.height(),
      scales: {x: {time: true}},
      legend: {live: true},
      cursor: {drag: {x: false, y: false}},
      series: [
        {},
        {label: 'mean', stroke: line, width: 1.5, spanGaps: false, value: fmt},
        {label: 'min', stroke: band, width: 1, spanGaps: false, value: fmt},
        {label: 'max', stroke: band, width: 1, spanGaps: false, value: fmt},
      ],
      bands: [{series: [3, 2], fill: band}],
      axes: [
        {...axisStyle},
        {...axisStyle, size: 56, label: this.unit || undefined, labelSize: this.unit ? 18 : 0,
         values: (u, ticks) => ticks.map((v) => number(v))},
      ],
    }, data, this.host);
  }

  resize() {
    if (this.plot) this.plot.setSize({width: this.width(), height: this.height()});
  }

  destroy() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}
