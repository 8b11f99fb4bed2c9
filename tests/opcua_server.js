// An OPC UA server for the connector's end-to-end tests and benchmarks: node-opcua (npm,
// installed in tests/peers by scripts/npm-deps.sh), an implementation independent of
// Strata's client. Listens on 127.0.0.1 only, SecurityPolicy None, anonymous and
// user/password logins (operator / s3cret).
//
//   node opcua_server.js --port 4840 [--pki DIR] [--items N] [--interval MS]
//                        [--min-sample-rate MS]
//
// Address space (namespace 1, under Objects/Plant):
//   Plant/Pump/{Speed: Double, Temperature: Float, Count: Int32, Mode: UInt16,
//               Running: Boolean, Energy: Int64}   ns=1;s=Pump.<name>
//   Plant/Pump/Flaky: Double, status alternating UncertainLastUsableValue / BadSensorFailure
//   Plant/Pump/Label: String (not a number)
//   Plant/Bulk/V<i>: Double = i + k, i = 0..N-1 (--items, for benchmarks)  ns=1;s=Bulk.V<i>
//     exception-based (MinimumSamplingInterval 0): an item asking for sampling interval 0 is
//     sent every change, at most one per MinSupportedSampleRate (--min-sample-rate, default
//     node-opcua's 100 ms; 0 sends every change), so a client can count what it lost from the
//     values alone
// Every value changes each --interval ms (default 50) with a fresh source timestamp; the
// value of each variable is a known function of a tick counter k (see update()).
// Prints "listening on 127.0.0.1:<port>" once the server accepts connections.
'use strict';
const path = require('path');
const os = require('os');
const fs = require('fs');
const opcua = require(path.join(__dirname, 'peers', 'node_modules', 'node-opcua'));
const {OPCUAServer, Variant, DataType, StatusCodes, MessageSecurityMode, SecurityPolicy} = opcua;

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const port = Number(arg('port', '4840'));
const bulk = Number(arg('items', '0'));
const interval = Number(arg('interval', '50'));
const pki = arg('pki', path.join(os.tmpdir(), 'strata-opcua-test-pki'));

async function main() {
  fs.mkdirSync(pki, {recursive: true});
  const server = new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    resourcePath: '/strata',
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
    userManager: {isValidUser: (user, password) => user === 'operator' && password === 's3cret'},
    serverCertificateManager: new opcua.OPCUACertificateManager({rootFolder: path.join(pki, 'server')}),
    maxConnectionsPerEndpoint: 100,
    // Short enough for a test to see the client renew its channel token (requests below the
    // server's minimum of 2.5 s are raised to it).
    defaultSecureTokenLifetime: Number(arg('token-lifetime', '600000')),
    serverCapabilities: {
      maxSessions: 100,
      minSupportedSampleRate: Number(arg('min-sample-rate', '100')),
    },
  });
  await server.initialize();
  // A user name login with the password in clear on the SecurityPolicy None endpoint (what
  // node-opcua's allowUnsecurePassword would register; its OPCUAServer does not pass the
  // option through): policy id "username_unsecure", no security policy of its own.
  for (const endpoint of server.endpoints) {
    for (const description of endpoint.endpointDescriptions()) {
      description.userIdentityTokens.push(new opcua.UserTokenPolicy({
        policyId: 'username_unsecure', tokenType: opcua.UserTokenType.UserName}));
    }
  }
  const addressSpace = server.engine.addressSpace;
  const ns = addressSpace.getOwnNamespace();
  const plant = ns.addObject({organizedBy: addressSpace.rootFolder.objects, browseName: 'Plant'});
  const pump = ns.addObject({componentOf: plant, browseName: 'Pump'});
  const vars = {};
  const add = (parent, prefix, name, dataType, minimumSamplingInterval = 10) => {
    vars[prefix + name] = ns.addVariable({
      componentOf: parent, browseName: name, nodeId: `s=${prefix}${name}`, dataType,
      minimumSamplingInterval,
    });
  };
  for (const [name, type] of [['Speed', 'Double'], ['Temperature', 'Float'], ['Count', 'Int32'],
                              ['Mode', 'UInt16'], ['Running', 'Boolean'], ['Energy', 'Int64'],
                              ['Flaky', 'Double'], ['Label', 'String']]) {
    add(pump, 'Pump.', name, type);
  }
  const bulkObject = ns.addObject({componentOf: plant, browseName: 'Bulk'});
  for (let i = 0; i < bulk; ++i) add(bulkObject, 'Bulk.', `V${i}`, 'Double', 0);

  let k = 0;
  const set = (name, dataType, value, status = StatusCodes.Good) =>
    vars[name].setValueFromSource(
        new Variant({dataType, value, arrayType: opcua.VariantArrayType.Scalar}), status,
        new Date());
  function update() {
    ++k;
    // Values a test can check against k: each is exactly representable in its type.
    set('Pump.Speed', DataType.Double, 1000 + (k % 1000) + 0.5);
    set('Pump.Temperature', DataType.Float, 20 + (k % 50) * 0.25);
    set('Pump.Count', DataType.Int32, -k);
    set('Pump.Mode', DataType.UInt16, k % 7);
    set('Pump.Running', DataType.Boolean, k % 2 === 0);
    // Beyond 2^32, to show 64-bit values arrive whole: [high, low] in node-opcua.
    set('Pump.Energy', DataType.Int64, [1, k]);
    set('Pump.Flaky', DataType.Double, k,
        k % 2 ? StatusCodes.UncertainLastUsableValue : StatusCodes.BadSensorFailure);
    set('Pump.Label', DataType.String, `tick ${k}`);
    for (let i = 0; i < bulk; ++i) set(`Bulk.V${i}`, DataType.Double, i + k);
  }
  update();
  setInterval(update, interval);
  await server.start();
  process.stdout.write(`listening on 127.0.0.1:${port} ${server.getEndpointUrl()}\n`);
  const stop = async () => { await server.shutdown(0); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((e) => { process.stderr.write(`opcua_server: ${e.stack || e}\n`); process.exit(1); });
