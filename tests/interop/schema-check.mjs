#!/usr/bin/env node
// Validates OB 3.0 AchievementCredentials against the 1EdTech JSON Schema variants (draft 2019-09, ajv):
//   purl    schema/json/ as served at the purl URL (accepts compacted single values, e.g. `proof` object)
//   strict  the plain-JSON "jsonschema1" variant from the spec site (arrays required: `proof` must be an array)
//   jsonld  the schema/json-ld/ variant (also demands a `proof` array)
// Files: JSON (ldp_vc) or a compact JWS (VC-JWT), whose `vc` claim, or else whole payload, is checked.
// stdout: JSON report; exit 0 when every file is valid under every selected variant, 1 otherwise, 2 on usage errors.
import fs from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { finish, parseCli } from './lib/cli.mjs';

const USAGE = 'schema-check.mjs [--variant purl|strict|jsonld|all] FILE...';
const SCHEMAS = {
  purl: 'schemas/purl/ob_v3p0_achievementcredential_schema.json',
  strict: 'schemas/strict/achievementcredential.json',
  jsonld: 'schemas/jsonld/ob_v3p0_achievementcredential_schema.json',
};
const { values, files } = parseCli(USAGE, { variant: { type: 'string', default: 'all' } },
  (v) => (v.variant === 'all' || Object.hasOwn(SCHEMAS, v.variant) ? null : `unknown variant ${v.variant}`));
const variants = values.variant === 'all' ? Object.keys(SCHEMAS) : [values.variant];

// strict:false: the 1EdTech schemas use tuple `items` without `minItems`, which ajv's strict mode only warns about
const ajv = new Ajv2019({ allErrors: true, strict: false });
addFormats(ajv);
const validators = Object.fromEntries(variants.map((v) => {
  const schema = JSON.parse(fs.readFileSync(new URL(SCHEMAS[v], import.meta.url), 'utf8'));
  return [v, { id: schema.$id, validate: ajv.compile(schema) }];
}));

/** The credential inside a file: the JSON itself, or a VC-JWT payload's `vc` claim (else the payload). */
function credentialOf(text) {
  if (text.startsWith('{')) return JSON.parse(text);
  const parts = text.split('.');
  if (parts.length !== 3) throw new Error('neither JSON nor a compact JWS');
  const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  return payload?.vc ?? payload;
}

const results = [];
for (const { file, text } of files) {
  let credential;
  let readError;
  try { credential = credentialOf(text); } catch (e) { readError = `unreadable credential: ${e.message}`; }
  const byVariant = {};
  for (const [v, { id, validate }] of Object.entries(validators)) {
    if (readError) { byVariant[v] = { schema: id, valid: false, errors: [readError] }; continue; }
    const valid = validate(credential);
    byVariant[v] = { schema: id, valid, errors: (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message}`) };
    if (valid) delete byVariant[v].errors;
  }
  results.push({ file, valid: Object.values(byVariant).every((r) => r.valid), variants: byVariant });
}
finish({ script: 'schema-check', variants, pass: results.every((r) => r.valid), results });
