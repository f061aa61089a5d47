#!/usr/bin/env node
// Independent DCQL evaluation with the `dcql` npm package (OWF, 3.0.0), to cross-check crates/dcql.
//   node dcql-match.mjs --query q.json cred.json|cred.jwt...          -> one result; exit 0 if satisfiable
//   node dcql-match.mjs --cases DIR --credentials LIST.json            -> {"cases": {name: result}}; exit 0
// A case file is {"query": {...}, ...}; LIST.json is an array of credential paths relative to it.
// result = {valid, error?, can_be_satisfied, matches: {query id: [matching credential indices]}}.
// W3C types are JSON-LD-expanded offline (OpenID4VP 1.0 B.1: type_values hold fully expanded IRIs);
// a JWT's claims are its `vc` claim, or the payload itself (OB 3.0 §8.2 form) when there is none.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import jsonld from 'jsonld';
import { DcqlQuery } from 'dcql';
import { createRequire } from 'node:module';
import { documentLoader as offlineLoader } from './lib/offline.mjs';

// The 1EdTech VC 1.1 example also names the Ed25519Signature2020 context.
const EXTRA = createRequire(import.meta.url)('ed25519-signature-2020-context').contexts;
const documentLoader = async (url) =>
  EXTRA.has(url) ? { contextUrl: null, documentUrl: url, document: EXTRA.get(url) } : offlineLoader(url);

const { values: a, positionals } = parseArgs({
  options: { query: { type: 'string' }, cases: { type: 'string' }, credentials: { type: 'string' } },
  allowPositionals: true,
});

const toDcql = async (file) => {
  const raw = fs.readFileSync(file, 'utf8').trim();
  const isJwt = !raw.startsWith('{');
  let doc;
  if (isJwt) {
    const payload = JSON.parse(Buffer.from(raw.split('.')[1], 'base64url'));
    doc = payload.vc && typeof payload.vc === 'object' ? payload.vc : payload;
  } else doc = JSON.parse(raw);
  const [expanded] = await jsonld.expand({ '@context': doc['@context'], type: doc.type }, { documentLoader });
  return { credential_format: isJwt ? 'jwt_vc_json' : 'ldp_vc', type: expanded['@type'], claims: doc, cryptographic_holder_binding: true };
};

const run = (rawQuery, creds) => {
  let query;
  try {
    query = DcqlQuery.parse(rawQuery);
    DcqlQuery.validate(query);
  } catch (e) {
    return { valid: false, error: String(e.message ?? e).split('\n')[0] };
  }
  const r = DcqlQuery.query(query, creds);
  const matches = Object.fromEntries(Object.entries(r.credential_matches).map(([id, m]) => [id, (m.valid_credentials ?? []).map((c) => c.input_credential_index)]));
  return { valid: true, can_be_satisfied: r.can_be_satisfied, matches };
};

if (a.cases) {
  const list = JSON.parse(fs.readFileSync(a.credentials, 'utf8'));
  const base = path.dirname(a.credentials);
  const creds = await Promise.all(list.map((f) => toDcql(path.join(base, f))));
  const cases = {};
  for (const name of fs.readdirSync(a.cases).filter((n) => n.endsWith('.json')).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(a.cases, name), 'utf8'));
    cases[name] = run(c.query, creds);
  }
  console.log(JSON.stringify({ types: creds.map((c) => c.type), cases }, null, 1));
} else if (a.query) {
  const creds = await Promise.all(positionals.map(toDcql));
  const r = run(JSON.parse(fs.readFileSync(a.query, 'utf8')), creds);
  console.log(JSON.stringify({ ...r, types: creds.map((c) => c.type) }, null, 1));
  process.exit(r.can_be_satisfied ? 0 : 1);
} else {
  console.error('usage: dcql-match.mjs --query q.json creds... | --cases DIR --credentials LIST.json');
  process.exit(2);
}
