#!/usr/bin/env node
// Bitstring Status List interop with the independent peer @digitalbazaar/vc-bitstring-status-list 2.0.1:
//   status-list.mjs check LIST.json CRED.json...   checkStatus() of each credential against the signed
//                                                  list credential (list proof verified with
//                                                  eddsa-rdfc-2022 + did:key, matching issuers)
//   status-list.mjs decode FILE...                 decodeList() of an encodedList (a list credential
//                                                  JSON or a text file holding the string): set bits
//   status-list.mjs create --length N --set I,J,…  createList() + setStatus() + encode()
// stdout: JSON report {pass, results}; exit 0 when every step ran without error, 1 otherwise, 2 usage.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { checkStatus, createList, decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import { describe, finish, usageExit } from './lib/cli.mjs';
import { documentLoader, installOfflineFetch } from './lib/offline.mjs';

const USAGE = 'status-list.mjs check LIST.json CRED.json... | decode FILE... | create --length N --set I,J';
let parsed;
try {
  parsed = parseArgs({
    options: { length: { type: 'string' }, set: { type: 'string', default: '' } },
    allowPositionals: true,
    strict: true,
  });
} catch (e) {
  usageExit(USAGE, e.message);
}
const [command, ...files] = parsed.positionals;
installOfflineFetch();
const read = (file) => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    return usageExit(USAGE, `cannot read ${file}: ${e.code ?? e.message}`);
  }
};

/** Every set index of a decoded list (scans the bytes, then the bits of non-zero bytes). */
function setIndices(list) {
  const out = [];
  const bytes = list.bitstring.bits;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) continue;
    for (let b = 0; b < 8; b++) if (list.getStatus(i * 8 + b)) out.push(i * 8 + b);
  }
  return out;
}

if (command === 'check') {
  if (files.length < 2) usageExit(USAGE, 'check needs LIST.json and at least one credential');
  const [listFile, ...credentialFiles] = files;
  const list = JSON.parse(read(listFile));
  const results = [];
  for (const file of credentialFiles) {
    const credential = JSON.parse(read(file));
    const listUrl = credential.credentialStatus?.statusListCredential;
    // The list is "fetched" from the URL the credential names; everything else stays offline.
    const loader = async (url) =>
      url === listUrl ? { contextUrl: null, documentUrl: url, document: list } : documentLoader(url);
    const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
    try {
      const r = await checkStatus({ credential, documentLoader: loader, suite });
      results.push(r.verified
        ? { file, ok: true, purpose: credential.credentialStatus.statusPurpose, set: r.results?.[0]?.status ?? r.status }
        : { file, ok: false, error: describe(r.error) });
    } catch (e) {
      results.push({ file, ok: false, error: describe(e) });
    }
  }
  finish({ pass: results.every((r) => r.ok), peer: '@digitalbazaar/vc-bitstring-status-list@2.0.1', results });
} else if (command === 'decode') {
  if (files.length === 0) usageExit(USAGE, 'decode needs a file');
  const results = [];
  for (const file of files) {
    const text = read(file);
    const encodedList = text.startsWith('{') ? JSON.parse(text).credentialSubject.encodedList : text;
    try {
      const list = await decodeList({ encodedList });
      results.push({ file, ok: true, length: list.length, set: setIndices(list) });
    } catch (e) {
      results.push({ file, ok: false, error: describe(e) });
    }
  }
  finish({ pass: results.every((r) => r.ok), results });
} else if (command === 'create') {
  const length = Number(parsed.values.length ?? 131072);
  const indices = parsed.values.set.split(',').filter(Boolean).map(Number);
  if (!Number.isInteger(length) || indices.some((i) => !Number.isInteger(i))) usageExit(USAGE, 'bad --length or --set');
  const list = await createList({ length });
  for (const i of indices) list.setStatus(i, true);
  finish({ pass: true, results: [{ ok: true, length, set: indices, encodedList: await list.encode() }] });
} else {
  usageExit(USAGE, `unknown command ${command ?? '(none)'}`);
}
