#!/usr/bin/env node
// Verifies Open Badges 3.0 `ldp_vc` credentials (JSON files, Data Integrity eddsa-rdfc-2022) with two
// independent verifiers, offline:
//   digitalbazaar-vc   @digitalbazaar/vc 7 + DataIntegrityProof + eddsa-rdfc-2022-cryptosuite
//   dcc-verifier-core  @digitalcredentials/verifier-core (the Learner Credential Wallet / VerifierPlus engine):
//                      signature, expiry, status, and its OB 3.0 JSON Schema check
// A Bitstring Status List (`credentialStatus`) is checked by both: Digital Bazaar through
// @digitalbazaar/vc-bitstring-status-list. Lists on loopback http (the agent under test) are fetched
// for real; every other URL stays refused.
// stdout: JSON report; exit 0 when every verifier accepts every file (with --expect-fail: when every
// verifier rejects every file), 1 otherwise, 2 on usage errors.
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { checkStatus as bitstringCheckStatus } from '@digitalbazaar/vc-bitstring-status-list';
import { describe, finish, parseCli } from './lib/cli.mjs';
import { documentLoader, installOfflineFetch, refused } from './lib/offline.mjs';

const USAGE = 'verify-ldp.mjs [--expect-fail] FILE.json...';
const { values, files } = parseCli(USAGE, { 'expect-fail': { type: 'boolean', default: false } });

const realFetch = globalThis.fetch;
installOfflineFetch();
const offlineFetch = globalThis.fetch;
const isLoopbackHttp = (url) => {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  } catch {
    return false;
  }
};
globalThis.fetch = (input, init) =>
  (isLoopbackHttp(String(input?.url ?? input)) ? realFetch(input, init) : offlineFetch(input, init));

/** The document loader plus status list credentials on loopback http. */
async function statusLoader(url) {
  if (!isLoopbackHttp(url)) return documentLoader(url);
  const response = await realFetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return { contextUrl: null, documentUrl: url, document: await response.json() };
}
// imported after the fetch stub so nothing in its module setup can reach the network
const { verifyCredential: dccVerify } = await import('@digitalcredentials/verifier-core');

async function digitalBazaar(credential) {
  const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
  const checkStatus = (options) =>
    bitstringCheckStatus({ ...options, documentLoader: statusLoader, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }) });
  const r = await vc.verifyCredential({ credential, suite, documentLoader, checkStatus });
  return r.verified ? { ok: true } : { ok: false, error: describe(r.error ?? r.results?.map((x) => x.error)) };
}

// verifier-core reports steps rather than a verdict; a credential passes when nothing is fatal, the
// signature is valid, it has not expired, its status (if any) checked out and the schema check passed.
async function dcc(credential) {
  const r = await dccVerify({ credential, knownDIDRegistries: [] });
  if (r.errors?.length) return { ok: false, error: r.errors.map((e) => `${e.name}: ${e.message}`).join('; ') };
  const step = (id) => r.log?.find((s) => s.id === id);
  const schema = r.additionalInformation?.find((x) => x.id === 'schema_check')?.results;
  const problems = [];
  if (step('valid_signature')?.valid !== true) problems.push('signature not valid');
  if (step('expiration')?.valid === false) problems.push('expired');
  const status = step('revocation_status');
  if (status && status.valid !== true) problems.push(`status: ${status.error?.message ?? 'revoked'}`);
  if (!Array.isArray(schema)) problems.push(`schema check: ${schema ?? 'missing'}`);
  else for (const s of schema.filter((s) => !s.result.valid)) {
    problems.push(`schema ${s.schema}: ${s.result.errors?.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`).join(', ')}`);
  }
  return problems.length ? { ok: false, error: problems.join('; ') } : { ok: true, schemas: schema.map((s) => s.schema) };
}

const VERIFIERS = { 'digitalbazaar-vc': digitalBazaar, 'dcc-verifier-core': dcc };

const results = [];
for (const { file, text } of files) {
  const verifiers = {};
  let credential;
  try {
    credential = JSON.parse(text);
    if (credential === null || typeof credential !== 'object' || Array.isArray(credential)) throw new Error('not a JSON object');
  } catch (e) {
    for (const name of Object.keys(VERIFIERS)) verifiers[name] = { ok: false, error: `unreadable credential: ${e.message}` };
  }
  if (credential) {
    for (const [name, verify] of Object.entries(VERIFIERS)) {
      // each verifier gets its own copy: both libraries may annotate the object they are given
      verifiers[name] = await verify(structuredClone(credential)).catch((e) => ({ ok: false, error: describe(e) }));
    }
  }
  const oks = Object.values(verifiers).map((v) => v.ok);
  results.push({ file, ok: oks.every(Boolean), rejectedByAll: oks.every((ok) => !ok), verifiers });
}
const expectFail = values['expect-fail'];
const pass = results.every((r) => (expectFail ? r.rejectedByAll : r.ok));
finish({ script: 'verify-ldp', expectFail, pass, results, refusedUrls: [...new Set(refused)] });
