'use strict';
// An HTTP listener written with the official hyco-https package (createRelayedServer).
//   GET  /bytes/<n>  -> n bytes (byte i = i * 31 mod 251), header x-sha256
//   POST /sha256     -> "<sha256 hex>:<length>" of the request body
//   GET  /empty      -> 204 without body
//   else             -> "hello <method> <url>", with x-echo = the request's x-custom header
// usage: node hyco-https-listener.js "<connection string>" <entity>
const https = require('hyco-https');
const crypto = require('crypto');
const { parseConnectionString, createToken, baseUri, pattern } = require('./common');

const c = parseConnectionString(process.argv[2]);
const entity = process.argv[3];
const uri = baseUri(c, entity) + '?sb-hc-action=listen';
let served = 0;
const server = https.createRelayedServer({
  server: uri,
  token: () => createToken(c.host, entity, c.keyName, c.key)
}, (req, res) => {
  served++;
  const m = /\/bytes\/(\d+)$/.exec(req.url.split('?')[0]);
  if (req.method === 'GET' && m) {
    const body = pattern(parseInt(m[1], 10));
    res.setHeader('x-sha256', crypto.createHash('sha256').update(body).digest('hex'));
    res.setHeader('Content-Type', 'application/octet-stream');
    res.end(body);
    return;
  }
  if (req.url.split('?')[0].endsWith('/empty')) {
    res.statusCode = 204;
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url.split('?')[0].endsWith('/sha256')) {
      res.end(crypto.createHash('sha256').update(body).digest('hex') + ':' + body.length);
    } else {
      if (req.headers['x-custom']) res.setHeader('x-echo', req.headers['x-custom']);
      res.statusCode = req.url.indexOf('status=201') >= 0 ? 201 : 200;
      res.end('hello ' + req.method + ' ' + req.url);
    }
  });
});
server.listen((err) => { if (err) console.error('hyco-https-listener: ' + err); });
server.on('listening', () => console.log('hyco-https-listener: LISTENING on ' + entity));
server.on('error', (e) => console.error('hyco-https-listener: control channel error: ' + (e && e.message || e)));
process.on('SIGTERM', () => { console.log('hyco-https-listener: served ' + served); server.close(); process.exit(0); });
