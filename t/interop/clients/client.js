// Node's http (HTTP/1.1, a keep-alive agent) and http2 (cleartext, prior
// knowledge) modules as a client of t/interop/run.py.  The body is written
// on 'continue', as Node's documentation has it; Node has no timer of its
// own for the 100, so each request is bounded by CLIENT_BOUND seconds.
// Cases on standard input (id, URL, size, Expect); argv[2] is h1 or h2.
// One line out per case: id, status, 100 seen, milliseconds, X-Run, error.
'use strict';
const http = require('http');
const http2 = require('http2');

const proto = process.argv[2];
const bound = parseFloat(process.env.CLIENT_BOUND || '5') * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let session = null;

function makeBody(id, size) {
  const head = Buffer.from(`GET /smuggled/b/${id} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const body = Buffer.alloc(size, 'x');
  head.copy(body);
  return body;
}

function h1(url, body, expect) {
  return new Promise((resolve) => {
    const r = { status: 0, saw: 'no', xrun: '-', err: '' };
    const req = http.request(url, {
      method: 'POST', agent,
      headers: { 'Content-Type': 'application/octet-stream',
                 'Content-Length': body.length, Expect: expect },
    });
    const timer = setTimeout(() => {
      r.err = `no response in ${bound} ms`;
      req.destroy();
    }, bound);
    req.on('continue', () => { r.saw = 'yes'; req.end(body); });
    req.on('response', (res) => {
      r.status = res.statusCode;
      r.xrun = res.headers['x-run'] || '-';
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        // Refused before the body was sent: this request is over.
        if (!req.writableEnded) req.destroy();
        resolve(r);
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      if (!r.err && !r.status) r.err = String(e.message);
      resolve(r);
    });
    req.on('close', () => { clearTimeout(timer); resolve(r); });
  });
}

function h2(url, body, expect) {
  return new Promise((resolve) => {
    const u = new URL(url);
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(u.origin);
      session.on('error', () => {});
    }
    const r = { status: 0, saw: 'no', xrun: '-', err: '' };
    const stream = session.request({
      ':method': 'POST', ':path': u.pathname,
      'content-type': 'application/octet-stream',
      'content-length': body.length, expect,
    }, { endStream: false });
    const timer = setTimeout(() => {
      r.err = `no response in ${bound} ms`;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, bound);
    stream.on('continue', () => { r.saw = 'yes'; stream.end(body); });
    stream.on('response', (headers) => {
      r.status = headers[':status'];
      r.xrun = headers['x-run'] || '-';
    });
    stream.on('data', () => {});
    stream.on('end', () => {
      if (!stream.writableEnded) stream.close();
    });
    stream.on('error', (e) => { if (!r.err && !r.status) r.err = String(e.message); });
    stream.on('close', () => { clearTimeout(timer); resolve(r); });
  });
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  for (const line of input.split('\n')) {
    if (!line) continue;
    const [id, url, size, expect] = line.split('\t');
    const body = makeBody(id, parseInt(size, 10));
    const start = process.hrtime.bigint();
    const r = await (proto === 'h2' ? h2 : h1)(url, body, expect);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(`${id}\t${r.status}\t${r.saw}\t${ms.toFixed(1)}\t${r.xrun}\t${r.err.replace(/\s+/g, ' ')}\n`);
  }
  if (session) session.close();
  agent.destroy();
}

main();
