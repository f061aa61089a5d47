#!/usr/bin/env node
// OpenID4VP 1.0 verifier (RP) built on oid4vc-ts @openid4vc/openid4vp 0.4.6, to test Rosette's wallet `present`.
//   node oid4vp-verifier.mjs [--format ldp_vc|jwt_vc_json] [--request-uri] [--dcql FILE.json] [--timeout 60]
// Serves request_uri (/request) and response_uri (/response) on 127.0.0.1:<free port>. Prints a ready line
// {"request": "openid4vp://?...", "response_uri", "nonce", "client_id"} as the FIRST stdout line, waits for one
// direct_post, then prints a JSON report as the LAST line; exit 0 = the presentation verified.
// Unsigned requests use the `redirect_uri:` client id (by value); --request-uri signs a JAR (typ
// oauth-authz-req+jwt) with a fresh did:key and uses `decentralized_identifier:did:key:…`.
// Checks on the response: oid4vc-ts parsing + validation (vp_token keys vs DCQL ids), `state`, then per
// presentation: VP-JWT via jose (signature by the did:key in `kid`, `aud` = client_id, `nonce`, kid ∈ iss) and
// each VC-JWT inside (signature, subject = holder); ldp_vp via @digitalbazaar/vc (eddsa-rdfc-2022, `challenge`
// = nonce, `domain` = client_id) and subject = holder; and the presented credentials must satisfy the DCQL
// query according to the independent `dcql` package.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import * as jose from 'jose';
import jsonld from 'jsonld';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { checkStatus as bitstringCheckStatus } from '@digitalbazaar/vc-bitstring-status-list';
import { setGlobalConfig } from '@openid4vc/utils';
import {
  createOpenid4vpAuthorizationRequest,
  parseOpenid4VpAuthorizationResponsePayload,
  validateOpenid4vpAuthorizationResponsePayload,
} from '@openid4vc/openid4vp';
import { DcqlQuery } from 'dcql';
import { newEd25519Holder, walletCallbacks } from './lib/holder.mjs';
import { resolveDidKey } from './lib/didkey.mjs';
import { documentLoader as offlineLoader } from './lib/offline.mjs';

const { values: a } = parseArgs({
  options: {
    format: { type: 'string', default: 'ldp_vc' },
    timeout: { type: 'string', default: '60' },
    'request-uri': { type: 'boolean', default: false },
    dcql: { type: 'string' },
  },
});
if (!['ldp_vc', 'jwt_vc_json'].includes(a.format)) { console.error('--format ldp_vc|jwt_vc_json'); process.exit(2); }
setGlobalConfig({ allowInsecureUrls: true }); // loopback http only: the server below binds 127.0.0.1

const EXTRA = createRequire(import.meta.url)('ed25519-signature-2020-context').contexts;
const documentLoader = async (url) =>
  EXTRA.has(url) ? { contextUrl: null, documentUrl: url, document: EXTRA.get(url) } : offlineLoader(url);

// Bitstring Status List credentials of the issuer under test (loopback http) are fetched for real.
const statusLoader = async (url) => {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) return documentLoader(url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return { contextUrl: null, documentUrl: url, document: await response.json() };
};
const checkStatus = (options) => bitstringCheckStatus({
  ...options, documentLoader: statusLoader, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
});

const verifierKey = newEd25519Holder();
const callbacks = walletCallbacks(verifierKey);
const server = http.createServer();
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const responseUri = `${base}/response`;
const nonce = crypto.randomBytes(16).toString('base64url');
const state = crypto.randomUUID();
const OB_TYPES = ['https://www.w3.org/2018/credentials#VerifiableCredential', 'https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential'];
const dcql_query = a.dcql ? JSON.parse(fs.readFileSync(a.dcql, 'utf8')) : {
  credentials: [{ id: 'openbadge', format: a.format, meta: { type_values: [OB_TYPES] }, claims: [{ path: ['credentialSubject', 'achievement', 'name'] }] }],
};
const signed = a['request-uri'];
const client_id = signed ? `decentralized_identifier:${verifierKey.did}` : `redirect_uri:${responseUri}`;
const formats = { ldp_vc: { proof_type_values: ['DataIntegrityProof'], cryptosuite_values: ['eddsa-rdfc-2022'] }, jwt_vc_json: { alg_values: ['EdDSA', 'ES256'] } };
const authorizationRequestPayload = {
  response_type: 'vp_token', response_mode: 'direct_post', client_id, response_uri: responseUri, nonce, state, dcql_query,
  client_metadata: { client_name: 'oid4vc-ts test verifier', vp_formats_supported: { [a.format]: formats[a.format] } },
};
const req = await createOpenid4vpAuthorizationRequest({
  authorizationRequestPayload, callbacks,
  ...(signed ? { jar: { requestUri: `${base}/request`, jwtSigner: { method: 'did', didUrl: verifierKey.kid, alg: 'EdDSA' }, expiresInSeconds: 300 } } : {}),
});
const report = { peer: '@openid4vc/openid4vp@0.4.6 (verifier)', ok: false, client_id, format: a.format, signed, request_fetches: 0 };
const done = (code) => { console.log(JSON.stringify(report)); server.close(); process.exit(code); };
const timer = setTimeout(() => { report.error = 'timeout waiting for direct_post'; done(1); }, Number(a.timeout) * 1000);

async function verifyJwt(jwt, { audience } = {}) {
  const { kid } = jose.decodeProtectedHeader(jwt);
  const { alg, publicKey, did } = resolveDidKey(kid);
  const { payload } = await jose.jwtVerify(jwt, publicKey, { algorithms: [alg], ...(audience ? { audience } : {}) });
  const iss = payload.iss ?? (typeof payload.issuer === 'string' ? payload.issuer : payload.issuer?.id);
  if (iss && iss !== did) throw new Error(`kid ${kid} is not controlled by iss ${iss}`);
  return payload;
}

async function toDcql(format, credential) {
  const doc = typeof credential === 'string' ? (() => { const p = jose.decodeJwt(credential); return p.vc ?? p; })() : credential;
  const [expanded] = await jsonld.expand({ '@context': doc['@context'], type: doc.type }, { documentLoader });
  return { credential_format: format, type: expanded['@type'], claims: doc, cryptographic_holder_binding: true };
}

async function verifyPresentation(p) {
  const out = { ok: true, errors: [], credentials: [] };
  const fail = (m) => { out.ok = false; out.errors.push(m); };
  try {
    if (typeof p === 'string') {
      out.format = 'vp_jwt';
      const payload = await verifyJwt(p, { audience: client_id });
      if (payload.nonce !== nonce) fail(`nonce mismatch: ${payload.nonce}`);
      out.holder = payload.iss;
      for (const c of [].concat(payload.vp?.verifiableCredential ?? [])) {
        if (typeof c !== 'string') { fail('jwt_vc_json presentation holds a non-JWT credential'); continue; }
        const vcPayload = await verifyJwt(c).catch((e) => { fail(`credential: ${e.message}`); return null; });
        const subject = vcPayload?.sub ?? (vcPayload?.vc ?? vcPayload)?.credentialSubject?.id;
        if (vcPayload && subject !== out.holder) fail(`credential subject ${subject} != holder ${out.holder}`);
        out.credentials.push(c);
      }
    } else {
      out.format = 'ldp_vp';
      const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
      const r = await vc.verify({ presentation: p, suite, documentLoader, challenge: nonce, domain: client_id, checkStatus });
      if (!r.verified) fail(JSON.stringify(r.error?.errors?.map((e) => e.message) ?? r.error?.message ?? r.presentationResult));
      out.holder = p.holder;
      for (const c of [].concat(p.verifiableCredential ?? [])) {
        if (c.credentialSubject?.id !== p.holder) fail('credential subject != presentation holder');
        out.credentials.push(c);
      }
    }
  } catch (e) { fail(e.message); }
  if (!out.credentials.length) fail('no credentials in presentation');
  return out;
}

server.on('request', async (hreq, res) => {
  const path = new URL(hreq.url, base).pathname;
  if (path === '/request' && signed && hreq.method === 'GET') {
    report.request_fetches += 1;
    res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' });
    return res.end(req.jar.authorizationRequestJwt);
  }
  if (path !== '/response' || hreq.method !== 'POST') { res.writeHead(404); return res.end(); }
  let body = '';
  for await (const c of hreq) body += c;
  try {
    const raw = Object.fromEntries(new URLSearchParams(body));
    report.posted_fields = Object.keys(raw).sort();
    if (raw.error) throw new Error(`wallet error: ${raw.error}`);
    const payload = parseOpenid4VpAuthorizationResponsePayload(raw);
    const v = validateOpenid4vpAuthorizationResponsePayload({ authorizationRequestPayload: req.authorizationRequestPayload, authorizationResponsePayload: payload });
    report.validated_type = v.type;
    if (payload.state !== state) throw new Error('state mismatch');
    report.presentations = [];
    const presented = {};
    for (const [id, list] of Object.entries(v.dcql.presentations)) {
      const format = dcql_query.credentials.find((c) => c.id === id)?.format;
      presented[id] = [];
      for (const p of [].concat(list)) {
        const r = await verifyPresentation(p);
        for (const c of r.credentials) presented[id].push(await toDcql(format, c));
        report.presentations.push({ id, ok: r.ok, format: r.format, holder: r.holder, credentials: r.credentials.length, errors: r.errors });
      }
    }
    // The independent DCQL engine must agree that what was presented answers the query.
    const parsed = DcqlQuery.parse(dcql_query);
    const all = Object.values(presented).flat();
    const q = DcqlQuery.query(parsed, all);
    report.dcql_satisfied = q.can_be_satisfied;
    report.ok = report.presentations.length > 0 && report.presentations.every((p) => p.ok) && q.can_be_satisfied;
    res.writeHead(report.ok ? 200 : 400, { 'content-type': 'application/json' });
    res.end(JSON.stringify(report.ok ? {} : { error: 'invalid_request', error_description: 'presentation verification failed' }));
  } catch (e) {
    report.error = e.message;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'invalid_request', error_description: e.message }));
  }
  clearTimeout(timer);
  setTimeout(() => done(report.ok ? 0 : 1), 20);
});
console.log(JSON.stringify({ request: req.authorizationRequest, response_uri: responseUri, nonce, client_id }));
