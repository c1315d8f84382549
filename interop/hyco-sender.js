'use strict';
// A sender written with the official hyco-ws package (WebSocket.relayedConnect): sends random bytes
// as binary messages to a byte-echoing listener (hybridrelay listen --echo), reads them back, compares
// SHA-256, then closes with 1000 and waits for the listener's close.
// usage: node hyco-sender.js "<connection string>" <entity> [bytes]
const WebSocket = require('hyco-ws');
const crypto = require('crypto');
const { parseConnectionString, createToken, baseUri } = require('./common');

const c = parseConnectionString(process.argv[2]);
const entity = process.argv[3];
const size = parseInt(process.argv[4] || String(8 << 20), 10);
const data = crypto.randomBytes(size);
const uri = baseUri(c, entity) + '?sb-hc-action=connect&sb-hc-id=' + crypto.randomUUID();
const fail = (why) => { console.error('hyco-sender: FAILED: ' + why); process.exit(1); };
const timer = setTimeout(() => fail('timed out after ' + got + ' of ' + size + ' bytes'), 60000);
let got = 0;
let done = false;
const parts = [];

const ws = WebSocket.relayedConnect(uri, createToken(c.host, entity, c.keyName, c.key), (socket) => {
  for (let off = 0; off < size; off += 65536) {
    socket.send(data.subarray(off, Math.min(size, off + 65536)), { binary: true });
  }
});
ws.on('message', (msg) => {
  const b = Buffer.from(msg);
  parts.push(b);
  got += b.length;
  if (got > size) fail('got ' + got + ' bytes, more than the ' + size + ' sent');
  if (got === size) {
    const want = crypto.createHash('sha256').update(data).digest('hex');
    const have = crypto.createHash('sha256').update(Buffer.concat(parts)).digest('hex');
    if (want !== have) fail('sha256 ' + have + ' want ' + want);
    done = true;
    console.log('hyco-sender: OK ' + size + ' bytes echoed, sha256 ' + have.substring(0, 16) + '...');
    ws.close(1000, 'done');
  }
});
ws.on('close', (code) => {
  clearTimeout(timer);
  if (!done) fail('closed (' + code + ') after ' + got + ' of ' + size + ' bytes');
  process.exit(0);
});
ws.on('error', (e) => fail(e && e.message || String(e)));
