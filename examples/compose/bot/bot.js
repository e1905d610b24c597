// A sample Eko bot with no dependencies (Node 18+): it is written for real
// Eko and runs unchanged against mockeko; only EKO_HTTP_URI differs.
//
//   EKO_HTTP_URI             the tenant, e.g. https://acme-h1.ekoapp.com or http://mockeko:8080
//   EKO_OAUTH_CLIENT_ID      the bot's client id
//   EKO_OAUTH_CLIENT_SECRET  the bot's client secret (also signs webhooks)
//   EKO_GREET_USERNAME       optional: a user the bot greets by direct message at start
//   PORT                     where Eko delivers webhooks (POST /webhook); default 3000
//
// It answers "echo: <text>" to every text message and "Hello!" to a join,
// through the reply endpoint, after checking X-Eko-Signature.
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');

const base = (process.env.EKO_HTTP_URI || '').replace(/\/+$/, '');
const clientId = process.env.EKO_OAUTH_CLIENT_ID || '';
const clientSecret = process.env.EKO_OAUTH_CLIENT_SECRET || '';
const port = Number(process.env.PORT || 3000);
if (!base || !clientId || !clientSecret) {
  console.error('bot: set EKO_HTTP_URI, EKO_OAUTH_CLIENT_ID and EKO_OAUTH_CLIENT_SECRET');
  process.exit(2);
}

let cached = null; // {token, expires}

// token gets a client-credentials token (HTTP Basic, form body) and caches it.
async function token(force) {
  if (!force && cached && Date.now() < cached.expires - 30_000) return cached.token;
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64'),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: 'grant_type=client_credentials&scope=bot',
  });
  const body = await res.json();
  if (!res.ok || !body.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  cached = { token: body.access_token, expires: Date.now() + (body.expires_in || 3600) * 1000 };
  return cached.token;
}

// api calls the Bot API with the token, refreshing it once on 401 like Eko's own SDKs.
async function api(method, path, json) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${await token(attempt > 0)}`, ...(json ? { 'Content-Type': 'application/json' } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
    if (res.status === 401 && attempt === 0) continue;
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }
}

// validSignature checks X-Eko-Signature: base64(HMAC-SHA256(client secret, raw body)).
function validSignature(raw, header) {
  if (!header) return false;
  const want = crypto.createHmac('sha256', clientSecret).update(raw).digest();
  const got = Buffer.from(String(header).replace(/^sha256=/, ''), 'base64');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

async function handle(event) {
  if (event.type === 'join') {
    await api('POST', '/bot/v1/message/text', { replyToken: event.replyToken, message: 'Hello!' });
  } else if (event.type === 'message' && event.message && event.message.type === 'text') {
    await api('POST', '/bot/v1/message/text', { replyToken: event.replyToken, message: `echo: ${event.message.text}` });
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/webhook') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const raw = Buffer.concat(chunks);
    if (!validSignature(raw, req.headers['x-eko-signature'])) {
      console.error('bot: webhook with a bad signature rejected');
      res.writeHead(403).end('bad signature');
      return;
    }
    let events;
    try {
      events = JSON.parse(raw.toString('utf8')).events || [];
    } catch {
      res.writeHead(400).end('bad json');
      return;
    }
    try {
      for (const e of events) await handle(e);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    } catch (err) {
      console.error('bot:', err.message);
      res.writeHead(500).end();
    }
  });
});

async function greet(username) {
  const { users } = await api('GET', `/bot/v1/users?username=${encodeURIComponent(username)}`);
  if (!users || users.length === 0) throw new Error(`no user ${username}`);
  await api('POST', '/bot/v1/direct/message', { uid: users[0]._id, message: { type: 'text', data: 'Sample bot is online' } });
  console.log(`bot: greeted ${username}`);
}

server.listen(port, '0.0.0.0', async () => {
  console.log(`bot: listening on :${server.address().port}, Eko at ${base}`);
  if (process.env.EKO_GREET_USERNAME) {
    try {
      await greet(process.env.EKO_GREET_USERNAME);
    } catch (err) {
      console.error('bot: greeting failed:', err.message);
      process.exitCode = 1;
    }
  }
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
