#!/usr/bin/env node
// OpenID4VCI 1.0 wallet (pre-authorized code flow) driven by oid4vc-ts (@openid4vc/openid4vci 0.4.6, client side).
//   node oid4vci-wallet.mjs --offer URL [--tx-code N] [--allow-http] [--out DIR]
// URL: openid-credential-offer://?credential_offer_uri=… (by reference) or …?credential_offer=… (by value).
// Steps: resolve offer, issuer + AS metadata, token (with the PIN when given), nonce, a JWT key proof signed
// by a fresh Ed25519 did:key holder, one credential request per offered configuration. Each credential is
// written to DIR as <n>-<config>.json (ldp_vc) or .jwt (jwt_vc_json).
// Prints one JSON report on stdout (logs on stderr). Exit 0 = every configuration issued, 1 = a step
// failed, 2 = usage error.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setGlobalConfig } from '@openid4vc/utils';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { newEd25519Holder, walletCallbacks } from './lib/holder.mjs';

let args;
try {
  ({ values: args } = parseArgs({ options: {
    offer: { type: 'string' }, 'tx-code': { type: 'string' },
    'allow-http': { type: 'boolean', default: false }, out: { type: 'string' },
  } }));
} catch (e) {
  console.error(`oid4vci-wallet: ${e.message}`);
  process.exit(2);
}
if (!args.offer) {
  console.error('usage: oid4vci-wallet.mjs --offer URL [--tx-code N] [--allow-http] [--out DIR]');
  process.exit(2);
}
setGlobalConfig({ allowInsecureUrls: args['allow-http'] });

const holder = newEd25519Holder();
const report = { pass: false, peer: '@openid4vc/openid4vci@0.4.6 (client)', holder: holder.did, steps: [], credentials: [] };
const step = (name, data = {}) => report.steps.push({ step: name, ...data });
const client = new Openid4vciClient({ callbacks: walletCallbacks(holder) });

try {
  const offer = await client.resolveCredentialOffer(args.offer);
  const byReference = args.offer.includes('credential_offer_uri=');
  step('offer', { by: byReference ? 'reference' : 'value', credential_issuer: offer.credential_issuer,
    configurations: offer.credential_configuration_ids, grants: Object.keys(offer.grants ?? {}) });
  report.credential_issuer = offer.credential_issuer;

  const md = await client.resolveIssuerMetadata(offer.credential_issuer);
  step('metadata', { authorization_servers: md.authorizationServers.map((s) => s.issuer),
    nonce_endpoint: md.credentialIssuer.nonce_endpoint ?? null });

  const token = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata: md, txCode: args['tx-code'] || undefined });
  step('token', { token_type: token.accessTokenResponse.token_type, expires_in: token.accessTokenResponse.expires_in });

  for (const config of offer.credential_configuration_ids) {
    const format = md.credentialIssuer.credential_configurations_supported[config]?.format;
    // a fresh c_nonce for every proof: the nonce endpoint when the issuer has one, else the token response's
    const nonce = md.credentialIssuer.nonce_endpoint
      ? (await client.requestNonce({ issuerMetadata: md })).c_nonce
      : token.accessTokenResponse.c_nonce;
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata: md, credentialConfigurationId: config, nonce,
      signer: { method: 'did', didUrl: holder.kid, alg: 'EdDSA' } });
    const res = await client.retrieveCredentials({
      issuerMetadata: md, accessToken: token.accessTokenResponse.access_token,
      credentialConfigurationId: config, proofs: { jwt: [jwt] } });
    const body = res.credentialResponse;
    const creds = body.credentials ? body.credentials.map((c) => c.credential) : [body.credential];
    step('credential', { config, format, count: creds.length });
    for (const credential of creds) report.credentials.push({ config, format, credential });
  }
  if (args.out) {
    fs.mkdirSync(args.out, { recursive: true });
    report.credentials.forEach((c, i) => {
      const isJwt = typeof c.credential === 'string';
      c.file = path.resolve(args.out, `${i}-${c.config}.${isJwt ? 'jwt' : 'json'}`);
      fs.writeFileSync(c.file, isJwt ? c.credential : JSON.stringify(c.credential, null, 2));
    });
  }
  report.pass = report.credentials.length >= offer.credential_configuration_ids.length && report.credentials.length > 0;
} catch (e) {
  console.error(e);
  report.error = { name: e.constructor?.name, message: e.message,
    response: e.errorResponse ?? e.credentialErrorResponseResult?.data ?? e.response?.status ?? null };
}
// the credentials themselves are in DIR; the report keeps them short
for (const c of report.credentials) {
  c.credential = typeof c.credential === 'string' ? `${c.credential.slice(0, 32)}…` : { id: c.credential?.id ?? null };
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.pass ? 0 : 1);
