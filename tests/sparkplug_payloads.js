// Sparkplug B messages of one edge node, encoded by Eclipse Tahu's JavaScript encoder
// (npm sparkplug-payload, installed in tests/peers by scripts/npm-deps.sh): an independent
// implementation that the edge's decoder must understand. Prints one message per line:
// "<topic> <payload as hex>". Usage: node sparkplug_payloads.js <group> <base time ms>
'use strict';
const path = require('path');
const sparkplug = require(path.join(__dirname, 'peers', 'node_modules', 'sparkplug-payload'))
  .get('spBv1.0');

const group = process.argv[2];
const t0 = Number(process.argv[3]);
const node = 'gw-1';
const device = 'pump-01';

function emit(type, withDevice, payload) {
  const topic = `spBv1.0/${group}/${type}/${node}` + (withDevice ? `/${device}` : '');
  process.stdout.write(`${topic} ${Buffer.from(sparkplug.encodePayload(payload)).toString('hex')}\n`);
}

emit('NBIRTH', false, {timestamp: t0, seq: 0, metrics: [
  {name: 'bdSeq', type: 'UInt64', value: 5},
  {name: 'Node Control/Rebirth', type: 'Boolean', value: false},
]});
emit('DBIRTH', true, {timestamp: t0 + 1, seq: 1, metrics: [
  {name: 'load', alias: 1, type: 'Double', value: 75.5},
  {name: 'bearing_de.temp', alias: 2, type: 'Float', value: 40.25},
  {name: 'speed', alias: 3, type: 'Int32', value: 1480},
  {name: 'run_state', alias: 4, type: 'Boolean', value: true},
]});
// DATA by alias only, with a metric timestamp of its own.
emit('DDATA', true, {timestamp: t0 + 1000, seq: 2, metrics: [
  {alias: 1, type: 'Double', value: 80.25, timestamp: t0 + 990},
  {alias: 2, type: 'Float', value: 41.5},
]});
// seq 3 and 4 never arrive: the edge must ask for a rebirth, and still keep these values.
emit('DDATA', true, {timestamp: t0 + 2000, seq: 5, metrics: [
  {name: 'load', alias: 1, type: 'Double', value: 82},
]});
emit('NDEATH', false, {timestamp: t0 + 3000, metrics: [{name: 'bdSeq', type: 'UInt64', value: 5}]});
