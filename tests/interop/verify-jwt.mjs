#!/usr/bin/env node
// Verifies VC-JWTs (compact JWS text files, EdDSA or ES256, issuer key = did:key) with two independent
// verifiers, offline:
//   jose        signature with the key decoded from the `kid` did:key URL (our own did:key decoder), `nbf`/`exp`,
//               and the binding kid DID = `iss` = credential issuer
//   did-jwt-vc  verifyCredential with key-did-resolver; `policies.format` is off because its format policy
//               only knows VCDM 1.1 and rejects the VC 2.0 context an OB 3.0 credential carries
// stdout: JSON report; exit 0 when every verifier accepts every file (with --expect-fail: when every
// verifier rejects every file), 1 otherwise, 2 on usage errors.
import * as jose from 'jose';
import { Resolver } from 'did-resolver';
import { getResolver as keyDidResolver } from 'key-did-resolver';
import { verifyCredential as didJwtVcVerify } from 'did-jwt-vc';
import { describe, finish, parseCli } from './lib/cli.mjs';
import { resolveDidKey } from './lib/didkey.mjs';

const USAGE = 'verify-jwt.mjs [--expect-fail] FILE.jwt...';
const { values, files } = parseCli(USAGE, { 'expect-fail': { type: 'boolean', default: false } });

const issuerId = (issuer) => (typeof issuer === 'string' ? issuer : issuer?.id);

async function withJose(jwt) {
  const header = jose.decodeProtectedHeader(jwt);
  const payload = jose.decodeJwt(jwt);
  if (typeof header.kid !== 'string') throw new Error('no kid in the protected header');
  const key = resolveDidKey(header.kid);
  if (header.alg !== key.alg) throw new Error(`alg ${header.alg} does not match the ${key.keyType} key in kid`);
  if (payload.iss !== key.did) throw new Error(`iss ${payload.iss} is not the kid's DID ${key.did}`);
  // `vc` claim (VCDM 1.1-style JWT) or the credential as the payload itself (VC-JOSE-COSE style)
  const credential = payload.vc ?? payload;
  if (issuerId(credential.issuer) !== payload.iss) throw new Error(`credential issuer ${issuerId(credential.issuer)} differs from iss ${payload.iss}`);
  await jose.jwtVerify(jwt, key.publicKey, { algorithms: [key.alg] });
  return { ok: true, alg: key.alg, iss: payload.iss };
}

const resolver = new Resolver(keyDidResolver());
async function withDidJwtVc(jwt) {
  const r = await didJwtVcVerify(jwt, resolver, { policies: { format: false } });
  if (!r.verified) throw new Error('not verified');
  return { ok: true, signer: r.signer?.id };
}

const VERIFIERS = { jose: withJose, 'did-jwt-vc': withDidJwtVc };

const results = [];
for (const { file, text } of files) {
  const verifiers = {};
  for (const [name, verify] of Object.entries(VERIFIERS)) {
    verifiers[name] = await verify(text).catch((e) => ({ ok: false, error: describe(e) }));
  }
  const oks = Object.values(verifiers).map((v) => v.ok);
  results.push({ file, ok: oks.every(Boolean), rejectedByAll: oks.every((ok) => !ok), verifiers });
}
const expectFail = values['expect-fail'];
const pass = results.every((r) => (expectFail ? r.rejectedByAll : r.ok));
finish({ script: 'verify-jwt', expectFail, pass, results });
