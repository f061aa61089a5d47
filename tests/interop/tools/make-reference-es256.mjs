#!/usr/bin/env node
// One-off generator of the ES256 (P-256 did:key) reference fixtures in tests/fixtures/reference/,
// signed with jose so the P-256 path of verify-jwt.mjs is proven without Rosette's signer.
// ECDSA signatures are randomised: re-running changes the files; each run is self-consistent.
// usage: node tools/make-reference-es256.mjs OUT_DIR
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  let out = '';
  while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
  return out;
}
function p256DidKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const y = Buffer.from(jwk.y, 'base64url');
  const compressed = Buffer.concat([Buffer.from([y[y.length - 1] & 1 ? 3 : 2]), Buffer.from(jwk.x, 'base64url')]);
  const mb = `z${base58btc(Buffer.concat([Buffer.from([0x80, 0x24]), compressed]))}`;
  return { privateKey, did: `did:key:${mb}`, kid: `did:key:${mb}#${mb}` };
}
const credential = (issuer) => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'urn:uuid:7d3c1f52-2a0e-4c4b-9a55-000000000256',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Rust Interop Badge (ES256)',
  issuer: { id: issuer, type: ['Profile'], name: 'Example Issuer', url: 'https://issuer.example.org' },
  validFrom: '2025-01-01T00:00:00Z',
  credentialSubject: {
    id: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    type: ['AchievementSubject'],
    achievement: {
      id: 'https://issuer.example.org/achievements/rust-101', type: ['Achievement'], name: 'Rust 101',
      description: 'Completed the Rust 101 course.', criteria: { narrative: 'Pass all exercises.' },
    },
  },
});
const sign = (vc, key, iss = vc.issuer.id) => new jose.SignJWT({ vc, iss, sub: vc.credentialSubject.id, jti: vc.id, nbf: Date.parse(vc.validFrom) / 1000 })
  .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);

const out = process.argv[2];
if (!out) { console.error('usage: make-reference-es256.mjs OUT_DIR'); process.exit(2); }
const key = p256DidKey();
const other = p256DidKey();
const good = await sign(credential(key.did), key);
const [h, p, s] = good.split('.');
const forged = JSON.parse(Buffer.from(p, 'base64url'));
forged.vc.credentialSubject.achievement.name = 'Forged';
const files = {
  'ob3-vcdm2-es256.jwt': good,
  'tampered-ob3-vcdm2-es256.jwt': [h, Buffer.from(JSON.stringify(forged)).toString('base64url'), s].join('.'),
  // validly signed by `key`, but claims another issuer: the kid/iss binding must catch it
  'wrong-issuer-ob3-vcdm2-es256.jwt': await sign(credential(other.did), key),
};
for (const [name, jwt] of Object.entries(files)) fs.writeFileSync(path.join(out, name), `${jwt}\n`);
console.log(JSON.stringify({ issuer: key.did, files: Object.keys(files) }));
