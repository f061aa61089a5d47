#!/usr/bin/env node
// OpenID4VP 1.0 wallet (holder) driven by oid4vc-ts (@openid4vc/openid4vp 0.4.6), against Rosette's verifier.
//   node oid4vp-wallet.mjs --request URL --credential FILE --holder-seed HEX
//        [--tamper nonce|aud|credential] [--replay] [--expect-reject]
// URL: openid4vp://?client_id=…&request_uri=… (signed JAR, fetched by oid4vc-ts), …&request=<JAR>, or an
// unsigned request by value. FILE: the holder's credential, JSON (ldp_vc) or a VC-JWT (jwt_vc_json); the
// credential query of the same format is answered (ldp_vp via Digital Bazaar vc + eddsa-rdfc-2022, or a VP-JWT
// via jose), bound to the request's nonce and full client_id, and posted by direct_post.
// --tamper: bind to another nonce / audience, or alter the credential after signing.
// --replay: post the same response a second time (the verifier must refuse it).
// Report on stdout: {pass, request, submit: {status, body}, replay?: {status, body}}. Exit 0 when the verifier
// answered as expected: 2xx (or 4xx with --expect-reject), and for --replay a 4xx the second time; 1
// otherwise; 2 on usage errors.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as jose from 'jose';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { setGlobalConfig } from '@openid4vc/utils';
import {
  parseOpenid4vpAuthorizationRequest, resolveOpenid4vpAuthorizationRequest,
  createOpenid4vpAuthorizationResponse, submitOpenid4vpAuthorizationResponse,
} from '@openid4vc/openid4vp';
import { walletCallbacks } from './lib/holder.mjs';
import { documentLoader } from './lib/offline.mjs';
import { describe, finish, usageExit } from './lib/cli.mjs';

const USAGE = 'oid4vp-wallet.mjs --request URL --credential FILE --holder-seed HEX [--tamper nonce|aud|credential] [--replay] [--expect-reject]';
let args;
try {
  ({ values: args } = parseArgs({ options: {
    request: { type: 'string' }, credential: { type: 'string' }, 'holder-seed': { type: 'string' },
    tamper: { type: 'string' }, replay: { type: 'boolean', default: false }, 'expect-reject': { type: 'boolean', default: false },
  } }));
} catch (e) { usageExit(USAGE, e.message); }
if (!args.request || !args.credential || !/^[0-9a-f]{64}$/.test(args['holder-seed'] ?? '')) usageExit(USAGE, 'missing or bad arguments');
if (args.tamper && !['nonce', 'aud', 'credential'].includes(args.tamper)) usageExit(USAGE, `unknown --tamper ${args.tamper}`);
setGlobalConfig({ allowInsecureUrls: true }); // the agent under test listens on http://127.0.0.1

// The holder's Ed25519 key from its 32-byte seed (the credential's subject is its did:key).
const seed = Buffer.from(args['holder-seed'], 'hex');
const privateKey = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const publicJwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
const multikey = await Ed25519Multikey.generate({ seed });
const did = `did:key:${multikey.publicKeyMultibase}`;
multikey.controller = did;
multikey.id = `${did}#${multikey.publicKeyMultibase}`;
const holder = { did, kid: multikey.id, publicJwk, privateKey };
const callbacks = walletCallbacks(holder);

function tamperCredential(credential) {
  if (typeof credential === 'string') {
    const [h, p, s] = credential.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url'));
    const vcObj = payload.vc ?? payload;
    vcObj.credentialSubject.achievement.name = 'Grand Master of Everything';
    return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
  }
  const copy = structuredClone(credential);
  copy.credentialSubject.achievement.name = 'Grand Master of Everything';
  return copy;
}

async function presentation(credential, nonce, audience) {
  if (typeof credential === 'string') {
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ iss: holder.did, sub: holder.did, nonce, aud: audience, iat: now, nbf: now, exp: now + 300,
      vp: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did, verifiableCredential: [credential] } })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: holder.kid }).sign(privateKey);
  }
  // Built by hand: vc.createPresentation refuses expired credentials, and presenting one is a test case.
  const unsigned = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did, verifiableCredential: [credential] };
  const suite = new DataIntegrityProof({ signer: multikey.signer(), cryptosuite: eddsaRdfc2022 });
  return vc.signPresentation({ presentation: unsigned, suite, challenge: nonce, domain: audience, documentLoader });
}

const report = { peer: '@openid4vc/openid4vp@0.4.6 (wallet)', pass: false, holder: holder.did, tamper: args.tamper ?? null };
try {
  let credential = fs.readFileSync(args.credential, 'utf8').trim();
  if (credential.startsWith('{')) credential = JSON.parse(credential);
  const format = typeof credential === 'string' ? 'jwt_vc_json' : 'ldp_vc';
  const parsed = parseOpenid4vpAuthorizationRequest({ authorizationRequest: args.request });
  const resolved = await resolveOpenid4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params, callbacks });
  const rq = resolved.authorizationRequestPayload;
  report.request = { version: resolved.version, client_prefix: resolved.client?.prefix, client_id: rq.client_id,
    response_mode: rq.response_mode, signed: !!resolved.jar, request_uri: parsed.params.request_uri ?? null };
  const query = resolved.dcql?.query?.credentials?.find((q) => q.format === format);
  if (!query) throw new Error(`the request has no ${format} credential query`);
  report.query = { id: query.id, format: query.format };
  if (args.tamper === 'credential') credential = tamperCredential(credential);
  const nonce = args.tamper === 'nonce' ? 'not-the-nonce-of-this-request' : rq.nonce;
  // §14.1: the audience is the full client_id; the bare identifier (prefix dropped) is a different one.
  const audience = args.tamper === 'aud' ? rq.client_id.slice(rq.client_id.indexOf(':') + 1) : rq.client_id;
  const vp = await presentation(credential, nonce, audience);
  const resp = await createOpenid4vpAuthorizationResponse({ authorizationRequestPayload: rq, callbacks,
    authorizationResponsePayload: { vp_token: { [query.id]: [vp] }, ...(rq.state ? { state: rq.state } : {}) } });
  const submit = async () => {
    const sub = await submitOpenid4vpAuthorizationResponse({ authorizationRequestPayload: rq, authorizationResponsePayload: resp.authorizationResponsePayload, callbacks });
    const text = await sub.response.text();
    let body; try { body = JSON.parse(text); } catch { body = text; }
    return { status: sub.response.status, body };
  };
  report.submit = await submit();
  const ok = (s) => s >= 200 && s < 300;
  const rejected = (s) => s >= 400 && s < 500;
  report.pass = args['expect-reject'] ? rejected(report.submit.status) : ok(report.submit.status);
  if (args.replay) {
    report.replay = await submit();
    report.pass = report.pass && rejected(report.replay.status);
  }
} catch (e) {
  report.error = describe(e);
  if (process.env.DEBUG) console.error(e);
}
finish(report);
