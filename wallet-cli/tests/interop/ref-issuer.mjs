#!/usr/bin/env node
// Reference OpenID4VCI 1.0 issuer for the wallet's interop tests, built from oid4vc-ts's issuer side
// (@openid4vc/openid4vci + @openid4vc/oauth2 0.4.6): pre-authorized code with a PIN (tx_code), nonce
// endpoint, `jwt_vc_json` (VC-JWT signed with jose, EdDSA) and `ldp_vc` (eddsa-rdfc-2022 signed with
// @digitalbazaar/vc). The issuer signs with a fresh Ed25519 did:key (`did:key:X#X` verification method).
//
//   node ref-issuer.mjs [--configs a,b] [--no-tx-code] [--by-value] [--interop DIR]
//
// DIR is the folder whose node_modules holds the peers (default: <repo>/tests/interop, filled by
// scripts/interop-install.sh; env ROSETTE_INTEROP_DIR overrides). ESM ignores NODE_PATH, so packages are
// resolved from DIR with createRequire and loaded with import().
// stdout: ONE JSON line once listening on 127.0.0.1:<random port>:
//   {issuer, issuer_did, offer, tx_code, configs, new_offer_endpoint}
// `offer` is an openid-credential-offer:// URL (by reference, or by value with --by-value) for every
// configuration in --configs;
// POST new_offer_endpoint for another single-use offer ({offer, tx_code}). Serves until killed.
// Logs on stderr. Exit 2 on usage errors or when the peers are not installed.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let a;
try {
  ({ values: a } = parseArgs({ options: {
    configs: { type: 'string', default: 'OpenBadgeCredential_ldp_vc,OpenBadgeCredential_jwt_vc_json' },
    'no-tx-code': { type: 'boolean', default: false },
    'by-value': { type: 'boolean', default: false },
    interop: { type: 'string', default: process.env.ROSETTE_INTEROP_DIR ?? path.join(here, '../../../tests/interop') },
  } }));
} catch (e) {
  console.error(`ref-issuer: ${e.message}`);
  process.exit(2);
}
const interop = path.resolve(a.interop);
if (!fs.existsSync(path.join(interop, 'node_modules', '@openid4vc', 'openid4vci'))) {
  console.error(`ref-issuer: ${interop}/node_modules has no @openid4vc/openid4vci: run scripts/interop-install.sh`);
  process.exit(2);
}
const requireFromInterop = createRequire(path.join(interop, 'package.json'));
const load = (name) => import(pathToFileURL(requireFromInterop.resolve(name)).href);

const { setGlobalConfig } = await load('@openid4vc/utils');
const { Oauth2AuthorizationServer, Oauth2ResourceServer, preAuthorizedCodeGrantIdentifier, SupportedAuthenticationScheme,
  clientAuthenticationAnonymous } = await load('@openid4vc/oauth2');
const { Openid4vciIssuer, Openid4vciVersion } = await load('@openid4vc/openid4vci');
const jose = await load('jose');
const vc = await load('@digitalbazaar/vc');
const { DataIntegrityProof } = await load('@digitalbazaar/data-integrity');
const { cryptosuite: eddsaRdfc2022 } = await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const Ed25519Multikey = await load('@digitalbazaar/ed25519-multikey');
// The harness's offline JSON-LD loader (bundled contexts + did:key); it resolves its own packages.
const { documentLoader } = await import(pathToFileURL(path.join(interop, 'lib', 'offline.mjs')).href);

setGlobalConfig({ allowInsecureUrls: true }); // plain http, loopback only

const VC2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
const OB3_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
// A 1x1 PNG, so baked export can use the achievement's own (data: URI) image.
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

// Ed25519 key pair as node:crypto KeyObjects plus the did:key names of its public key.
function newKey() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' });
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url');
  return { publicJwk, privateKey, seed };
}
const issuerKey = newKey();
const issuerMultikey = await Ed25519Multikey.generate({ seed: issuerKey.seed });
const issuerDid = `did:key:${issuerMultikey.publicKeyMultibase}`;
issuerMultikey.controller = issuerDid;
issuerMultikey.id = `${issuerDid}#${issuerMultikey.publicKeyMultibase}`;
// did:key must decode to the same key jose signs with.
const mkJwk = await Ed25519Multikey.toJwk({ keyPair: issuerMultikey });
if (mkJwk.x !== issuerKey.publicJwk.x) throw new Error('issuer Multikey and JWK differ');
const asKey = newKey();
const asJwk = { ...asKey.publicJwk, kid: 'as-1', alg: 'EdDSA' };

// did:key (Ed25519) -> public JWK, for the holder's key proofs.
async function didKeyJwk(didUrl) {
  const did = didUrl.split('#')[0];
  if (!did.startsWith('did:key:z6Mk')) throw new Error(`not an Ed25519 did:key: ${didUrl}`);
  const mk = await Ed25519Multikey.from({ publicKeyMultibase: did.slice(8) });
  return Ed25519Multikey.toJwk({ keyPair: mk });
}
async function signerJwk(signer) {
  if (signer.method === 'did') return didKeyJwk(signer.didUrl);
  if (signer.method === 'jwk') return signer.publicJwk;
  throw new Error(`signer method ${signer.method} not supported by the reference issuer`);
}
const privateKeys = new Map([[issuerKey.publicJwk.x, issuerKey.privateKey], [asJwk.x, asKey.privateKey]]);
const callbacks = {
  fetch: globalThis.fetch,
  hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: (n) => crypto.randomBytes(n),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (signer, { header, payload }) => {
    const jwk = await signerJwk(signer);
    const key = privateKeys.get(jwk.x);
    if (!key) throw new Error('the reference issuer holds no private key for this signer');
    return { jwt: await new jose.SignJWT(payload).setProtectedHeader(header).sign(key), signerJwk: jwk };
  },
  verifyJwt: async (signer, { compact }) => {
    try {
      const jwk = await signerJwk(signer);
      await jose.compactVerify(compact, await jose.importJWK(jwk, signer.alg));
      return { verified: true, signerJwk: jwk };
    } catch (e) {
      log('key proof signature rejected:', e.message);
      return { verified: false };
    }
  },
  decryptJwe: async () => { throw new Error('JWE not supported'); },
  encryptJwe: async () => { throw new Error('JWE not supported'); },
};
const issuer = new Openid4vciIssuer({ callbacks });
const as = new Oauth2AuthorizationServer({ callbacks });
const rs = new Oauth2ResourceServer({ callbacks });

const server = http.createServer();
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const credentialType = ['VerifiableCredential', 'OpenBadgeCredential'];
const proofTypes = { jwt: { proof_signing_alg_values_supported: ['EdDSA', 'ES256'] } };
// `credential_metadata` in every configuration makes oid4vc-ts treat the issuer as OpenID4VCI 1.0.
const configs = {
  OpenBadgeCredential_jwt_vc_json: { format: 'jwt_vc_json', credential_definition: { type: credentialType },
    cryptographic_binding_methods_supported: ['did:key'], credential_signing_alg_values_supported: ['EdDSA'],
    proof_types_supported: proofTypes, credential_metadata: { display: [{ name: 'Reference Badge (JWT)', locale: 'en' }] } },
  OpenBadgeCredential_ldp_vc: { format: 'ldp_vc',
    credential_definition: { '@context': [VC2_CONTEXT, OB3_CONTEXT], type: credentialType },
    cryptographic_binding_methods_supported: ['did:key'], credential_signing_alg_values_supported: ['eddsa-rdfc-2022'],
    proof_types_supported: proofTypes, credential_metadata: { display: [{ name: 'Reference Badge (LDP)', locale: 'en' }] } },
};
const offered = a.configs.split(',').filter(Boolean);
for (const id of offered) {
  if (!configs[id]) {
    console.error(`ref-issuer: unknown configuration ${id} (known: ${Object.keys(configs).join(', ')})`);
    process.exit(2);
  }
}
const asMetadata = as.createAuthorizationServerMetadata({
  issuer: base, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`,
  grant_types_supported: [preAuthorizedCodeGrantIdentifier], 'pre-authorized_grant_anonymous_access_supported': true,
});
const ciMetadata = issuer.createCredentialIssuerMetadata({
  credential_issuer: base, credential_endpoint: `${base}/credential`, nonce_endpoint: `${base}/nonce`,
  credential_configurations_supported: configs, display: [{ name: 'oid4vc-ts reference issuer' }],
});
const issuerMetadata = { credentialIssuer: ciMetadata, authorizationServers: [asMetadata],
  originalDraftVersion: Openid4vciVersion.V1, knownCredentialConfigurations: configs };

const sessions = new Map(); // pre-authorized code -> {txCode, offerId, offer, used}
const nonces = new Set();
let issued = 0;
function log(...x) { process.stderr.write(`[ref-issuer] ${x.join(' ')}\n`); }

async function createOffer(configurationIds) {
  const code = crypto.randomUUID();
  const offerId = crypto.randomUUID();
  const txCode = a['no-tx-code'] ? undefined : String(crypto.randomInt(0, 1e6)).padStart(6, '0');
  const { credentialOffer, credentialOfferObject } = await issuer.createCredentialOffer({
    issuerMetadata, credentialConfigurationIds: configurationIds,
    grants: { [preAuthorizedCodeGrantIdentifier]: { 'pre-authorized_code': code,
      ...(txCode ? { tx_code: { input_mode: 'numeric', length: 6, description: 'PIN shown by the reference issuer' } } : {}) } },
    ...(a['by-value'] ? {} : { credentialOfferUri: `${base}/offers/${offerId}` }),
  });
  sessions.set(code, { txCode, offerId, offer: credentialOfferObject, used: false });
  return { offer: credentialOffer, tx_code: txCode };
}

function sampleBadge(subjectDid, n) {
  return {
    '@context': [VC2_CONTEXT, OB3_CONTEXT],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: credentialType,
    name: `Reference Interop Badge ${n}`,
    issuer: { id: issuerDid, type: ['Profile'], name: 'oid4vc-ts Reference Issuer', url: 'https://issuer.example.org' },
    validFrom: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    credentialSubject: {
      ...(subjectDid ? { id: subjectDid } : {}),
      type: ['AchievementSubject'],
      achievement: {
        id: 'https://issuer.example.org/achievements/interop-101',
        type: ['Achievement'],
        name: 'Interop 101',
        description: 'Claimed from the oid4vc-ts reference issuer.',
        criteria: { narrative: 'Complete an OpenID4VCI pre-authorized flow.' },
        image: { id: `data:image/png;base64,${TINY_PNG}`, type: 'Image' },
      },
    },
  };
}
async function signLdp(credential) {
  const suite = new DataIntegrityProof({ signer: issuerMultikey.signer(), cryptosuite: eddsaRdfc2022 });
  return vc.issue({ credential, suite, documentLoader });
}
// VC-JWT as OpenID4VCI `jwt_vc_json` issuers commonly send it: VCDM 1.1 §6.3 registered claims + `vc`.
async function signJwt(credential) {
  const claims = { iss: issuerDid, jti: credential.id, vc: credential,
    nbf: Math.floor(Date.parse(credential.validFrom) / 1000) };
  if (credential.credentialSubject.id) claims.sub = credential.credentialSubject.id;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: issuerMultikey.id })
    .sign(issuerKey.privateKey);
}

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};
const readBody = (req) => new Promise((resolve, reject) => {
  let d = '';
  req.on('data', (c) => { d += c; if (d.length > 1 << 20) reject(new Error('body too large')); });
  req.on('end', () => resolve(d));
});
const requestLike = (req) => ({ url: base + req.url, method: req.method,
  headers: new Headers(Object.entries(req.headers).map(([k, v]) => [k, String(v)])) });

server.on('request', async (req, res) => {
  const url = new URL(req.url, base);
  log(req.method, url.pathname);
  try {
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-credential-issuer') return send(res, 200, ciMetadata);
    if (req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') return send(res, 200, asMetadata);
    if (req.method === 'GET' && url.pathname === '/jwks') return send(res, 200, { keys: [asJwk] });
    if (req.method === 'GET' && url.pathname.startsWith('/offers/')) {
      const s = [...sessions.values()].find((x) => x.offerId === url.pathname.slice('/offers/'.length));
      return s ? send(res, 200, s.offer) : send(res, 404, { error: 'not_found' });
    }
    if (req.method === 'POST' && url.pathname === '/new-offer') {
      const ids = url.searchParams.get('configs')?.split(',') ?? offered;
      if (!ids.every((id) => configs[id])) return send(res, 400, { error: 'unknown_credential_configuration' });
      return send(res, 200, await createOffer(ids));
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const body = Object.fromEntries(new URLSearchParams(await readBody(req)));
      const parsed = as.parseAccessTokenRequest({ accessTokenRequest: body, request: requestLike(req) });
      if (parsed.grant.grantType !== preAuthorizedCodeGrantIdentifier) return send(res, 400, { error: 'unsupported_grant_type' });
      const s = sessions.get(parsed.grant.preAuthorizedCode);
      if (!s || s.used) return send(res, 400, { error: 'invalid_grant', error_description: 'unknown or used pre-authorized code' });
      try {
        await as.verifyPreAuthorizedCodeAccessTokenRequest({ authorizationServerMetadata: asMetadata, grant: parsed.grant,
          accessTokenRequest: parsed.accessTokenRequest, request: requestLike(req),
          expectedPreAuthorizedCode: parsed.grant.preAuthorizedCode, expectedTxCode: s.txCode });
      } catch (e) {
        return send(res, 400, e.errorResponse ?? { error: 'invalid_grant', error_description: e.message });
      }
      s.used = true;
      return send(res, 200, await as.createAccessTokenResponse({ audience: base, authorizationServer: base,
        expiresInSeconds: 300, subject: parsed.grant.preAuthorizedCode, signer: { method: 'jwk', alg: 'EdDSA', publicJwk: asJwk } }));
    }
    if (req.method === 'POST' && url.pathname === '/nonce') {
      const nonce = crypto.randomBytes(16).toString('base64url');
      nonces.add(nonce);
      return send(res, 200, issuer.createNonceResponse({ cNonce: nonce, cNonceExpiresIn: 300 }));
    }
    if (req.method === 'POST' && url.pathname === '/credential') {
      const body = JSON.parse(await readBody(req));
      await rs.verifyResourceRequest({ authorizationServers: [asMetadata], resourceServer: base, request: requestLike(req),
        allowedAuthenticationSchemes: [SupportedAuthenticationScheme.Bearer] });
      const parsed = issuer.parseCredentialRequest({ issuerMetadata, credentialRequest: body });
      const config = configs[parsed.credentialConfigurationId ?? body.credential_configuration_id];
      if (!config) return send(res, 400, { error: 'unknown_credential_configuration' });
      const jwts = parsed.proofs?.jwt ?? (parsed.proof?.jwt ? [parsed.proof.jwt] : []);
      if (!jwts.length) return send(res, 400, { error: 'invalid_proof', error_description: 'a jwt key proof is required' });
      const credentials = [];
      for (const jwt of jwts) {
        const nonce = jose.decodeJwt(jwt).nonce;
        if (!nonces.delete(nonce)) return send(res, 400, { error: 'invalid_nonce' });
        const proof = await issuer.verifyCredentialRequestJwtProof({ issuerMetadata, jwt, expectedNonce: nonce });
        const holder = proof.signer.method === 'did' ? proof.signer.didUrl.split('#')[0] : undefined;
        const badge = sampleBadge(holder, ++issued);
        credentials.push({ credential: config.format === 'ldp_vc' ? await signLdp(badge) : await signJwt(badge) });
      }
      return send(res, 200, issuer.createCredentialResponse({ credentialRequest: parsed, credentials }));
    }
    send(res, 404, { error: 'not_found' });
  } catch (e) {
    log('ERROR', e.stack?.split('\n').slice(0, 3).join(' | '));
    send(res, e.statusCode ?? 400, e.errorResponse ?? { error: 'invalid_request', error_description: e.message });
  }
});

const first = await createOffer(offered);
process.stdout.write(`${JSON.stringify({ issuer: base, issuer_did: issuerDid, offer: first.offer, tx_code: first.tx_code,
  configs: offered, new_offer_endpoint: `${base}/new-offer` })}\n`);
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
