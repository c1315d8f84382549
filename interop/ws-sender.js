'use strict';
// A plain WebSocket sender (the ws package, no relay SDK): sends text and binary messages to a hybrid
// connection and checks that each comes back unchanged and with its type.
// usage: node ws-sender.js "<connection string>" <entity> [count] [--stream]
// --stream: the peer is a byte-stream listener (Hybrid Relay for Java's RelayConnection), which echoes
// bytes, not messages: send binary messages and compare the concatenated bytes.
const WebSocket = require('ws8');
const crypto = require('crypto');
const { parseConnectionString, createToken, baseUri } = require('./common');

const c = parseConnectionString(process.argv[2]);
const entity = process.argv[3];
const count = parseInt(process.argv[4] || '20', 10);
const streamMode = process.argv.includes('--stream');
const url = baseUri(c, entity) + '?sb-hc-action=connect&sb-hc-id=' + crypto.randomUUID();
const ws = new WebSocket(url, { headers: { ServiceBusAuthorization: createToken(c.host, entity, c.keyName, c.key) },
                                perMessageDeflate: false, rejectUnauthorized: false });
const expected = [];
let received = 0, bytes = 0;
const timer = setTimeout(() => { console.error('ws-sender: FAILED: timed out after ' + received + ' of ' + count * 2); process.exit(1); }, 30000);
ws.on('open', () => {
  for (let i = 0; i < count; i++) {
    const text = 'hello ' + i + ' ' + 'x'.repeat(i * 37);
    const bin = crypto.randomBytes(1 + i * 4099);
    expected.push({ binary: false, data: Buffer.from(text) }, { binary: true, data: bin });
    if (streamMode) {
      ws.send(Buffer.from(text), { binary: true });
    } else {
      ws.send(text);
    }
    ws.send(bin, { binary: true });
  }
});
let streamGot = [];
let streamWant = null;
ws.on('message', (data, isBinary) => {
  if (streamMode) {
    streamGot.push(Buffer.from(data));
    const got = Buffer.concat(streamGot);
    if (!streamWant) streamWant = Buffer.concat(expected.map((e) => e.data));
    if (got.length > streamWant.length || !got.equals(streamWant.subarray(0, got.length))) {
      console.error('ws-sender: FAILED: echoed bytes differ at or before offset ' + got.length);
      process.exit(1);
    }
    if (got.length === streamWant.length) {
      clearTimeout(timer);
      received = count * 2;
      console.log('ws-sender: OK ' + got.length + ' bytes echoed by the stream listener, in order');
      ws.close(1000, 'done');
    }
    return;
  }
  const want = expected[received];
  if (!want || want.binary !== isBinary || !Buffer.from(data).equals(want.data)) {
    console.error('ws-sender: FAILED: message ' + received + ' differs (type or content)');
    process.exit(1);
  }
  received++;
  bytes += want.data.length;
  if (received === count * 2) {
    clearTimeout(timer);
    console.log('ws-sender: OK ' + received + ' messages, ' + bytes + ' bytes echoed with type and boundaries preserved');
    ws.close(1000, 'done');
  }
});
ws.on('close', () => process.exit(received === count * 2 ? 0 : 1));
ws.on('unexpected-response', (req, res) => { console.error('ws-sender: FAILED: relay answered ' + res.statusCode + ' ' + res.statusMessage); process.exit(1); });
ws.on('error', (e) => { console.error('ws-sender: FAILED: ' + e.message); process.exit(1); });
