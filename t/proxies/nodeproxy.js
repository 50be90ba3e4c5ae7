// A reverse proxy written with Node's http module alone, as t/lib/fronts.py
// starts it: one argument PORT=TARGET_PORT per origin, listening on
// 127.0.0.1:PORT and sending every request to 127.0.0.1:TARGET_PORT.  What
// such a proxy usually is: the request head passed on without its
// hop-by-hop fields (RFC 9110 section 7.6.1), Expect included; the body
// piped as it comes; the response's status, fields and body piped back.
// The server answers Expect itself as Node's does by default (no
// 'checkContinue' listener): 100 Continue at once for a value that holds
// "100-continue", 417 for any other.  Upstream connections are kept
// (an agent with keepAlive).
'use strict';
const http = require('http');

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection',
                     'te', 'trailer', 'transfer-encoding', 'upgrade',
                     'proxy-authenticate', 'proxy-authorization']);

function strip(headers, connection) {
  const drop = new Set(HOP);
  for (const t of (connection || '').split(',')) {
    drop.add(t.trim().toLowerCase());
  }
  const out = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!drop.has(k)) {
      out[k] = v;
    }
  }
  return out;
}

for (const arg of process.argv.slice(2)) {
  const [port, target] = arg.split('=').map(Number);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const server = http.createServer((req, res) => {
    const up = http.request({
      host: '127.0.0.1', port: target, method: req.method, path: req.url,
      headers: strip(req.headers, req.headers.connection), agent,
    }, (ures) => {
      res.writeHead(ures.statusCode, ures.statusMessage,
                    strip(ures.headers, ures.headers.connection));
      ures.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
      }
      res.end('proxy error: ' + e.message + '\n');
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1');
}
