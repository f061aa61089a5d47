#!/usr/bin/env node
// Throughput of the oid4vc-ts reference issuer (the shared interop harness's oid4vci-issuer-ref.mjs, built on
// @openid4vc/openid4vci 0.4.6 + Digital Bazaar / jose signing), measured the same way as Rosette's
// `cargo bench -p rosette-tests --bench issuance_flows`: offers created first (not timed), issuer metadata
// fetched once, then complete flows offer → token (PIN) → nonce → credential with a JWT key proof from a
// fresh Ed25519 holder, CONCURRENCY in flight over loopback.
//   node bench-ref-issuer.mjs [--ref DIR] [--flows 200] [--concurrency 16]
// DIR holds oid4vci-issuer-ref.mjs and its lib/ (default $ROSETTE_REF_INTEROP or /work/shared/interop); they are
// staged in a temp dir next to this harness's node_modules, so nothing is installed into DIR.
// Prints one JSON line per variant; exit 0, 1 on a failed flow, 2 on usage errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import { newEd25519Holder } from './lib/holder.mjs';

let args;
try {
  ({ values: args } = parseArgs({ options: {
    ref: { type: 'string', default: process.env.ROSETTE_REF_INTEROP ?? '/work/shared/interop' },
    flows: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '16' },
  } }));
} catch (e) { console.error(`bench-ref-issuer: ${e.message}`); process.exit(2); }
const flows = Number(args.flows); const concurrency = Number(args.concurrency);
const refScript = path.join(args.ref, 'oid4vci-issuer-ref.mjs');
if (!fs.existsSync(refScript) || !(flows > 0) || !(concurrency > 0)) {
  console.error(`usage: bench-ref-issuer.mjs [--ref DIR (has oid4vci-issuer-ref.mjs)] [--flows N] [--concurrency N]; ${refScript} missing?`);
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'ref-issuer-'));
fs.copyFileSync(refScript, path.join(stage, 'oid4vci-issuer-ref.mjs'));
fs.cpSync(path.join(args.ref, 'lib'), path.join(stage, 'lib'), { recursive: true });
fs.symlinkSync(path.join(here, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
fs.writeFileSync(path.join(stage, 'package.json'), '{"type":"module"}');

const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const json = async (res, what) => {
  const body = await res.json();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${JSON.stringify(body)}`);
  return body;
};

async function startIssuer(config, pin) {
  const child = spawn(process.execPath, ['oid4vci-issuer-ref.mjs', '--configs', config, ...(pin ? [] : ['--no-tx-code'])],
    { cwd: stage, stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`reference issuer exited ${code} before its ready line`)));
  });
  return { child, ready: JSON.parse(line) };
}

async function flow(ep, config, offer) {
  const t0 = process.hrtime.bigint();
  const uri = new URL(offer.offer.replace(/^openid-credential-offer:\/\//, 'http://x/')).searchParams.get('credential_offer_uri');
  const resolved = await json(await fetch(uri), 'offer');
  const code = resolved.grants[PRE_AUTH]['pre-authorized_code'];
  const form = new URLSearchParams({ grant_type: PRE_AUTH, 'pre-authorized_code': code });
  if (offer.tx_code) form.set('tx_code', offer.tx_code);
  const token = await json(await fetch(ep.token, { method: 'POST', body: form }), 'token');
  const { c_nonce } = await json(await fetch(ep.nonce, { method: 'POST' }), 'nonce');
  const holder = newEd25519Holder();
  const proof = await new jose.SignJWT({ aud: ep.issuer, iat: Math.floor(Date.now() / 1000), nonce: c_nonce })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'openid4vci-proof+jwt', kid: holder.kid }).sign(holder.privateKey);
  const cred = await json(await fetch(ep.credential, { method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `${token.token_type ?? 'Bearer'} ${token.access_token}` },
    body: JSON.stringify({ credential_configuration_id: config, proofs: { jwt: [proof] } }) }), 'credential');
  if (!cred.credentials?.[0]?.credential) throw new Error(`no credential: ${JSON.stringify(cred)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

let failed = false;
for (const config of ['OpenBadgeCredential_ldp', 'OpenBadgeCredential_jwt']) {
  for (const pin of [false, true]) {
    const { child, ready } = await startIssuer(config, pin);
    try {
      const offers = [];
      for (let i = 0; i < flows; i++) offers.push(await json(await fetch(ready.new_offer_endpoint, { method: 'POST' }), 'new-offer'));
      const md = await json(await fetch(`${ready.issuer}/.well-known/openid-credential-issuer`), 'metadata');
      const asmd = await json(await fetch(`${ready.issuer}/.well-known/oauth-authorization-server`), 'AS metadata');
      const ep = { issuer: md.credential_issuer, token: asmd.token_endpoint, nonce: md.nonce_endpoint, credential: md.credential_endpoint };
      let next = 0; const lat = [];
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < offers.length) { const o = offers[next++]; lat.push(await flow(ep, config, o)); }
      }));
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      lat.sort((x, y) => x - y);
      const pct = (p) => +lat[Math.round((lat.length - 1) * p)].toFixed(1);
      console.log(JSON.stringify({ bench: 'ref-issuer (oid4vc-ts 0.4.6)', config, pin, flows: lat.length, concurrency,
        seconds: +s.toFixed(3), flows_per_sec: +(lat.length / s).toFixed(1), p50_ms: pct(0.5), p99_ms: pct(0.99) }));
    } catch (e) {
      failed = true;
      console.error(`bench-ref-issuer: ${config} pin=${pin}: ${e.message}`);
    } finally {
      child.kill('SIGTERM');
    }
  }
}
fs.rmSync(stage, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
