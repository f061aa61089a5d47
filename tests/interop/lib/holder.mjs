// Holder keys and the oid4vc-ts callbacks of the wallet: a fresh Ed25519 did:key per run, signing with
// node:crypto via jose. Written for Rosette's tests; shares no code with the issuer under test.
import crypto from 'node:crypto';
import * as jose from 'jose';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';
import { resolveDidKey } from './didkey.mjs';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btcEncode(bytes) {
  let value = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while (value > 0n) { out = ALPHABET[Number(value % 58n)] + out; value /= 58n; }
  for (const b of bytes) { if (b !== 0) break; out = `1${out}`; }
  return out;
}

/** A fresh Ed25519 holder: {did, kid (did:key URL), publicJwk, privateKey (KeyObject)}. */
export function newEd25519Holder() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(publicJwk.x, 'base64url');
  const multibase = `z${base58btcEncode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]))}`;
  const did = `did:key:${multibase}`;
  return { did, kid: `${did}#${multibase}`, publicJwk, privateKey };
}

function signerJwk(signer) {
  if (signer.method === 'did') return resolveDidKey(signer.didUrl).publicKey.export({ format: 'jwk' });
  if (signer.method === 'jwk') return signer.publicJwk;
  throw new Error(`signer method ${signer.method} not supported by the test wallet`);
}

/** oid4vc-ts callbacks that can sign with `holder` only. */
export function walletCallbacks(holder) {
  return {
    fetch: globalThis.fetch,
    hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: (n) => crypto.randomBytes(n),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, { header, payload }) => {
      const jwk = signerJwk(signer);
      if (jwk.x !== holder.publicJwk.x) throw new Error('the wallet holds no private key for this signer');
      const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(holder.privateKey);
      return { jwt, signerJwk: jwk };
    },
    verifyJwt: async (signer, { compact }) => {
      const jwk = signerJwk(signer);
      try {
        await jose.compactVerify(compact, await jose.importJWK(jwk, signer.alg));
        return { verified: true, signerJwk: jwk };
      } catch { return { verified: false }; }
    },
    decryptJwe: async () => { throw new Error('JWE is not supported by the test wallet'); },
    encryptJwe: async () => { throw new Error('JWE is not supported by the test wallet'); },
  };
}
