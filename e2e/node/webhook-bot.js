// webhook-bot.js is a small Eko bot that serves Eko's webhook, written the
// way real Node bots for Eko are: a token from npm client-oauth2 exactly as
// Eko's Getting Started page shows it, replies sent with axios as JSON to
// /bot/v1/message/text with the event's reply token, the same token used
// twice for a "Hold on" message and then the answer (S4 jura-b/eko-bot-demo
// in eko-api.md), and every request checked against X-Eko-Signature =
// base64(HMAC-SHA256(client secret, raw body)), refused with 403 on a
// mismatch (S7, eko-api.md §4.1). It uses node:http instead of Express so
// that it needs no more packages than bot.js.
//
// Environment: EKO_HTTP_URI, EKO_OAUTH_CLIENT_ID, EKO_OAUTH_CLIENT_SECRET,
// and optionally PORT (default 0: any free port). It listens on 127.0.0.1
// and serves POST /webhook. It writes one JSON object per line on stdout:
// first {"listening": "<webhook URL>"}, then one line per request it
// refused ({"rejected": …}) and one per event it handled ({"handled": …},
// or {"failed": …} when a reply call failed). It answers a valid delivery
// with 200 at once and replies afterwards, as a bot that acknowledges fast
// does. SIGTERM stops it. e2e/node_webhook_test.go runs it.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');
const ClientOAuth2 = require('client-oauth2');
const axios = require('axios');

for (const name of ['EKO_HTTP_URI', 'EKO_OAUTH_CLIENT_ID', 'EKO_OAUTH_CLIENT_SECRET']) {
  if (!process.env[name]) {
    process.stderr.write(`webhook-bot.js: ${name} is not set\n`);
    process.exit(2);
  }
}

const maxBody = 1 << 20; // bytes of a webhook body read before answering 413

// --- Getting Started, verbatim but for the variable names -------------------
const ekoAuth = new ClientOAuth2({
  clientId: process.env.EKO_OAUTH_CLIENT_ID,
  clientSecret: process.env.EKO_OAUTH_CLIENT_SECRET,
  accessTokenUri: `${process.env.EKO_HTTP_URI}/oauth/token`, // Eko HTTP server uri
  scopes: ['bot'],
});

const app = new Map(); // stands in for the Express app of the docs
const authenticate = async () => {
  const { data } = await ekoAuth.credentials.getToken();
  app.set('token', data); // returned access token
};
// -----------------------------------------------------------------------------

const report = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// sendMessage is S4's MessageService with axios: JSON {replyToken, message}.
const sendMessage = (message, replyToken) => axios.post(
  `${process.env.EKO_HTTP_URI}/bot/v1/message/text`,
  { replyToken, message },
  { headers: { Authorization: `Bearer ${app.get('token').access_token}` } },
);

// trySendMessage authenticates when the bot has no token yet, and again
// once on a 401 (an expired token), then retries, as every real bot does.
const trySendMessage = async (message, replyToken) => {
  if (!app.get('token')) await authenticate();
  try {
    return await sendMessage(message, replyToken);
  } catch (err) {
    if (err.response && err.response.status === 401) {
      await authenticate();
      return sendMessage(message, replyToken);
    }
    throw err;
  }
};

// verify checks X-Eko-Signature against the raw body bytes in constant time.
const verify = (raw, header) => {
  if (typeof header !== 'string') return false;
  const want = Buffer.from(
    crypto.createHmac('sha256', process.env.EKO_OAUTH_CLIENT_SECRET).update(raw).digest('base64'),
  );
  const got = Buffer.from(header);
  return got.length === want.length && crypto.timingSafeEqual(got, want);
};

// answer is the bot's logic: what it says to a message.
const answer = (text) => `You said: ${text}`;

// handle processes one verified event and reports what it did.
const handle = async (event) => {
  const { type, replyToken } = event;
  const statuses = [];
  const reply = async (message) => {
    const res = await trySendMessage(message, replyToken);
    statuses.push(res.status);
    if (res.status !== 201 || res.data.status !== 'success') {
      throw new Error(`reply answered ${res.status} ${JSON.stringify(res.data)}`);
    }
  };
  try {
    switch (type) {
      case 'message': {
        // Tell the user to keep calm, then answer, with one reply token (S4).
        await reply('Hold on a sec ...');
        const m = event.message || {};
        await reply(answer(m.type === 'text' ? m.text : `a ${m.type}`));
        break;
      }
      case 'join':
        await reply('Hi! I am the report bot. Send me anything.');
        break;
      default:
        break; // postback and workflow: nothing to say
    }
    report({ handled: { type, replyToken, replies: statuses } });
  } catch (err) {
    const res = err.response;
    report({
      failed: {
        type, replyToken, replies: statuses, error: String(err.message || err),
        status: res && res.status, body: res && res.data,
      },
    });
  }
};

const refuse = (res, status, reason) => {
  report({ rejected: { status, reason } });
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ ok: 0, message: reason }));
};

const server = http.createServer((req, res) => {
  if (req.url !== '/webhook') return refuse(res, 404, `no route ${req.url}`);
  if (req.method !== 'POST') return refuse(res, 405, `method ${req.method}`);
  const chunks = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > maxBody) tooBig = true;
    else chunks.push(c);
  });
  req.on('error', () => {}); // a reset connection: nothing to answer
  req.on('end', () => {
    if (tooBig) return refuse(res, 413, `body over ${maxBody} bytes`);
    const raw = Buffer.concat(chunks);
    if (!verify(raw, req.headers['x-eko-signature'])) return refuse(res, 403, 'bad signature');
    let events;
    try {
      ({ events } = JSON.parse(raw.toString('utf8')));
      if (!Array.isArray(events)) throw new Error('events is not an array');
    } catch (err) {
      return refuse(res, 400, `bad body: ${err.message}`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ok: 1 }));
    for (const event of events) handle(event);
    return undefined;
  });
  return undefined;
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  report({ listening: `http://127.0.0.1:${server.address().port}/webhook` });
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
