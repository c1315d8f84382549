'use strict';
// A plain Node http client against an HTTP listener through the relay (request mode). Checks a small
// GET with a custom header and status, bodyless 204s, uploads of 10 bytes and 200,000 bytes (inline and rendezvous
// form), a chunked upload, and downloads of 1,000 and 300,000 bytes, SHA-256 compared.
// usage: node http-client.js "<connection string>" <entity>
const http = require('http');
const crypto = require('crypto');
const { parseConnectionString, createToken, pattern } = require('./common');

const c = parseConnectionString(process.argv[2]);
const entity = process.argv[3];
const token = createToken(c.host, entity, c.keyName, c.key);
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

function request(method, path, body, headers, chunked) {
  return new Promise((resolve, reject) => {
    const h = Object.assign({ ServiceBusAuthorization: token }, headers || {});
    if (body && !chunked) h['Content-Length'] = body.length;
    const req = http.request({ host: c.host, port: c.port, method, path: '/' + entity + path, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(60000, () => req.destroy(new Error('timeout')));
    if (body && chunked) {
      for (let i = 0; i < body.length; i += 7000) req.write(body.subarray(i, i + 7000));
    } else if (body) {
      req.write(body);
    }
    req.end();
  });
}

function check(cond, what) {
  if (!cond) { console.error('http-client: FAIL ' + what); process.exit(1); }
  console.log('http-client: ok ' + what);
}

(async () => {
  const r1 = await request('GET', '/hello?status=201&x=1', null, { 'X-Custom': 'abc' });
  check(r1.status === 201 && r1.body.toString() === 'hello GET /' + entity + '/hello?status=201&x=1'
      && r1.headers['x-echo'] === 'abc' && /localhost/.test(r1.headers['via'] || ''), 'small GET, status and headers both ways');
  for (let i = 0; i < 3; i++) {
    const e = await request('GET', '/empty', null);
    check(e.status === 204 && e.body.length === 0, 'response without body (' + (i + 1) + ')');
  }
  for (const n of [10, 200000]) {
    const body = pattern(n);
    const r = await request('POST', '/sha256', body);
    check(r.status === 200 && r.body.toString() === sha(body) + ':' + n, 'upload of ' + n + ' bytes');
  }
  const chunkedBody = pattern(150000);
  const rc = await request('POST', '/sha256', chunkedBody, {}, true);
  check(rc.status === 200 && rc.body.toString() === sha(chunkedBody) + ':150000', 'chunked upload of 150000 bytes');
  for (const n of [1000, 300000]) {
    const r = await request('GET', '/bytes/' + n, null);
    check(r.status === 200 && r.body.length === n && sha(r.body) === sha(pattern(n)), 'download of ' + n + ' bytes');
  }
  const unauth = await new Promise((resolve, reject) => {
    http.get({ host: c.host, port: c.port, path: '/' + entity + '/x' }, (res) => { res.resume(); resolve(res); }).on('error', reject);
  });
  check(unauth.statusCode === 401 && unauth.headers['www-authenticate'] === 'SharedAccessSignature', '401 without token');
  console.log('http-client: PASSED');
})().catch((e) => { console.error('http-client: FAIL ' + e); process.exit(1); });
