'use strict';
// Helpers for the HTTP interop scripts: connection strings, SAS tokens as the Node SDK mints them,
// the deterministic body pattern shared with the Java side.
const crypto = require('crypto');

function parseConnectionString(cs) {
  const out = {};
  for (const seg of cs.split(';')) {
    const i = seg.indexOf('=');
    if (i > 0) out[seg.substring(0, i).toLowerCase()] = seg.substring(i + 1);
  }
  const m = /^sb:\/\/([^/:]+)(?::(\d+))?\/?$/.exec(out.endpoint);
  if (!m) throw new Error('bad Endpoint in connection string');
  return { host: m[1], port: m[2] || '443', keyName: out.sharedaccesskeyname, key: out.sharedaccesskey,
           entity: out.entitypath, tls: (out.usedevelopmentemulator || '').toLowerCase() !== 'true' };
}

// The same algorithm as hyco-https createRelayToken: sr = encodeURIComponent("http://host/path").
function createToken(host, path, keyName, key, seconds) {
  const uri = 'http://' + host + '/' + path;
  const se = Math.floor(Date.now() / 1000) + (seconds || 3600);
  const sig = crypto.createHmac('sha256', key).update(encodeURIComponent(uri) + '\n' + se).digest('base64');
  return 'SharedAccessSignature sr=' + encodeURIComponent(uri) + '&sig=' + encodeURIComponent(sig) + '&se=' + se + '&skn=' + keyName;
}

function baseUri(c, entity) {
  return (c.tls ? 'wss' : 'ws') + '://' + c.host + ':' + c.port + '/$hc/' + entity;
}

// n bytes, byte i = (i * 31) mod 251 (the same pattern as JavaHttpListener.java).
function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31) % 251;
  return b;
}

module.exports = { parseConnectionString, createToken, baseUri, pattern };
