'use strict';
// An echo listener written with the official hyco-ws package: every message comes back with its type.
// usage: node hyco-listener.js "<connection string>" <entity>
const WebSocket = require('hyco-ws');
const { parseConnectionString, createToken, baseUri } = require('./common');

const c = parseConnectionString(process.argv[2]);
const entity = process.argv[3];
const uri = baseUri(c, entity) + '?sb-hc-action=listen';
let accepted = 0;
const server = WebSocket.createRelayedServer({
  server: uri,
  token: () => createToken(c.host, entity, c.keyName, c.key)
}, (ws) => {
  accepted++;
  ws.on('message', (data, flags) => {
    ws.send(data, { binary: !!(flags && flags.binary) });
  });
  ws.on('error', (e) => console.error('hyco-listener: connection error: ' + e));
});
server.on('listening', () => console.log('hyco-listener: LISTENING on ' + entity));
server.on('error', (e) => console.error('hyco-listener: control channel error: ' + (e && e.message || e)));
process.on('SIGTERM', () => { console.log('hyco-listener: accepted ' + accepted); server.close(); process.exit(0); });
