// bot.js drives a running mockeko the way real Node bots drive Eko:
// a token from npm client-oauth2 exactly as Eko's Getting Started page
// shows it, then axios calls shaped like the bots in eko-api.md
// (S4 jura-b/eko-bot-demo, S5 bot-king-eko-interface, S6 botv2Test).
//
// It reads the bot's environment (EKO_HTTP_URI, EKO_OAUTH_CLIENT_ID,
// EKO_OAUTH_CLIENT_SECRET) plus the ids to talk to (E2E_*), prints one JSON
// object describing what it did on stdout, and exits non-zero on the first
// surprise. e2e/e2e_test.go runs it and checks the fake's state.
'use strict';

const ClientOAuth2 = require('client-oauth2');
const axios = require('axios');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`bot.js: ${name} is not set`);
  return v;
};

const base = env('EKO_HTTP_URI');
const uid = env('E2E_UID');
const gid = env('E2E_GID');
const tid = env('E2E_TID');

function check(cond, what, detail) {
  if (!cond) throw new Error(`bot.js: ${what}: ${JSON.stringify(detail)}`);
}

// --- Getting Started, verbatim but for the variable names -------------------
const ekoAuth = new ClientOAuth2({
  clientId: process.env.EKO_OAUTH_CLIENT_ID,
  clientSecret: process.env.EKO_OAUTH_CLIENT_SECRET,
  accessTokenUri: `${process.env.EKO_HTTP_URI}/oauth/token`, // Eko HTTP server uri
  scopes: ['bot'],
});

const app = new Map(); // stands in for the Express app of the docs
const authenticate = async () => {
  const token = await ekoAuth.credentials.getToken();
  app.set('token', token.data); // returned access token
  return token;
};
// -----------------------------------------------------------------------------

const tokens = [];

const bearer = () => ({ Authorization: `Bearer ${app.get('token').access_token}` });

async function main() {
  const out = {};

  // 1. Token, as the docs show it; the data must carry what S4 reads.
  const token = await authenticate();
  const data = app.get('token');
  check(/^[0-9a-f]{40}$/.test(data.access_token), 'access_token is 40 hex', data);
  check(typeof data.expires_in === 'number' && data.expires_in > 0, 'expires_in is a positive number', data);
  check(String(data.token_type).toLowerCase() === 'bearer', 'token_type is Bearer', data);
  check(!('error' in data), 'no error key on a 200', data);
  tokens.push(data.access_token);

  // 2. A reply token, as a webhook event would carry (minted via the control plane).
  const rt = await axios.post(`${base}/_mockeko/replytokens`, { gid, tid });
  check(rt.status === 201 && /^[0-9a-f]{40}$/.test(rt.data.replyToken), 'minted reply token', rt.data);
  const replyToken = rt.data.replyToken;

  // 3. S4 MessageService: JSON to /bot/v1/message/text, the same reply token twice,
  //    success checked as statusCode === 201.
  for (const message of ['Hold on a sec ...', 'Here is your report']) {
    const res = await axios.post(`${base}/bot/v1/message/text`, { replyToken, message }, { headers: bearer() });
    check(res.status === 201, 'reply answered 201', { status: res.status, data: res.data });
    check(res.data.status === 'success', 'reply answered success', res.data);
  }

  // 4. Push to a user (S4 / docs): JSON {uid, message{type,data}}.
  const dm = await axios.post(`${base}/bot/v1/direct/message`,
    { uid, message: { type: 'text', data: 'Your build is green' } }, { headers: bearer() });
  check(dm.status === 201 && dm.data.status === 'success', 'direct push answered 201 success', dm.data);
  out.direct = dm.data.message;

  // 5. S6 style: an axios instance whose baseURL ends in "/" and paths without a leading slash.
  const eko = axios.create({ baseURL: `${base}/`, headers: { 'Content-Type': 'application/json' } });
  const v2 = await eko.post('bot/v2/message/push',
    { gid, messages: [{ type: 'text', text: 'v2 hello from node' }] }, { headers: bearer() });
  check(v2.status === 201 && v2.data.status === 'success' && v2.data.messages.length === 1, 'v2 push', v2.data);
  out.v2 = v2.data.messages[0];
  const dmLookup = await eko.get(`bot/v2/groups/users/${uid}`, { headers: bearer() });
  check(dmLookup.data.gid === out.direct.groupId, 'v2 DM lookup finds the chat the push used', dmLookup.data);
  out.dmLookup = dmLookup.data;

  // 6. A base URL with a trailing slash joined by hand ("//bot/..."), the request
  //    signed by client-oauth2's token.sign as its README shows.
  const slashy = `${base}/`;
  const signed = token.sign({
    method: 'post',
    url: `${slashy}/bot/v1/group/message`,
    headers: { 'Content-Type': 'application/json' },
    data: { gid, message: { type: 'text', data: 'signed by client-oauth2' } },
  });
  check(/^Bearer [0-9a-f]{40}$/.test(signed.headers.Authorization), 'token.sign sets a Bearer header', signed.headers);
  const grp = await axios(signed);
  check(grp.request.path === '//bot/v1/group/message', 'the request went out with a doubled slash', grp.request.path);
  check(grp.status === 201 && grp.data.message.groupId === gid, 'group push through //bot', grp.data);
  out.group = grp.data.message;

  // 7. The refresh-on-401 path every real bot has: the token is revoked, the call
  //    gets a 401 in the envelope, the bot authenticates again and retries once.
  const rv = await axios.post(`${base}/_mockeko/tokens/revoke`, {});
  check(rv.data.revoked >= 1, 'revoked the token', rv.data);
  const push = () => axios.post(`${base}/bot/v1/group/message`,
    { gid, tid, message: { type: 'text', data: 'after a refresh' } }, { headers: bearer() });
  let retried;
  try {
    await push();
    throw new Error('bot.js: a revoked token was accepted');
  } catch (err) {
    const res = err.response;
    check(res && res.status === 401, 'revoked token gets 401', res ? res.data : String(err));
    check(res.data.status === 401 && res.data.error === 'invalid_token' && res.data.message && res.data.error_description,
      '401 carries the envelope', res.data);
    await authenticate();
    tokens.push(app.get('token').access_token);
    retried = await push();
  }
  check(retried.status === 201, 'retry after refresh answered 201', retried.data);
  out.retried = retried.data.message;

  // 8. A bot whose credentials need escaping: client-oauth2 sends them raw in Basic.
  if (process.env.E2E_SPECIAL_CLIENT_ID) {
    const special = new ClientOAuth2({
      clientId: process.env.E2E_SPECIAL_CLIENT_ID,
      clientSecret: process.env.E2E_SPECIAL_CLIENT_SECRET,
      accessTokenUri: `${base}//oauth/token`, // a base URL with a trailing slash, joined by hand
      scopes: ['bot'],
    });
    const st = await special.credentials.getToken();
    tokens.push(st.accessToken);
    const users = await axios.get(`${base}/bot/v1/users`, {
      params: { username: process.env.E2E_USERNAME },
      headers: { Authorization: `Bearer ${st.accessToken}` },
    });
    check(users.data.users.length === 1 && users.data.users[0]._id === uid, 'special bot finds the user', users.data);
  }

  // 9. client-oauth2 surfaces an error body as an error (the envelope has "error").
  const wrong = new ClientOAuth2({
    clientId: process.env.EKO_OAUTH_CLIENT_ID,
    clientSecret: 'not-the-secret',
    accessTokenUri: `${base}/oauth/token`,
    scopes: ['bot'],
  });
  try {
    await wrong.credentials.getToken();
    throw new Error('bot.js: a wrong secret got a token');
  } catch (err) {
    check(err.code === 'EAUTH' && err.body && err.body.error === 'invalid_client', 'wrong secret is invalid_client', { code: err.code, body: err.body });
    out.wrongSecret = err.body;
  }

  out.tokens = tokens;
  return out;
}

main().then(
  (out) => { process.stdout.write(JSON.stringify(out) + '\n'); },
  (err) => {
    const res = err.response;
    process.stderr.write(`${err.stack || err}\n`);
    if (res) process.stderr.write(`HTTP ${res.status} ${JSON.stringify(res.data)}\n`);
    process.exitCode = 1;
  },
);

// webhook-bot.js beside this file is the other direction: a bot that receives
// Eko's webhook POSTs and replies with the event's replyToken. See README.md.
