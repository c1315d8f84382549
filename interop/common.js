'use strict';
// Helpers shared by the interop scripts: SAS tokens as the Node SDK mints them, argument parsing.
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

// The same algorithm as hyco-ws createRelayToken: sr = encodeURIComponent("http://host/path").
function createToken(host, path, keyName, key, seconds) {
  const uri = 'http://' + host + '/' + path;
  const se = Math.floor(Date.now() / 1000) + (seconds || 3600);
  const sig = crypto.createHmac('sha256', key).update(encodeURIComponent(uri) + '\n' + se).digest('base64');
  return 'SharedAccessSignature sr=' + encodeURIComponent(uri) + '&sig=' + encodeURIComponent(sig) + '&se=' + se + '&skn=' + keyName;
}

function baseUri(c, entity) {
  return (c.tls ? 'wss' : 'ws') + '://' + c.host + ':' + c.port + '/$hc/' + entity;
}

module.exports = { parseConnectionString, createToken, baseUri };
