// did:key -> public KeyObject for the two key types Rosette signs with (Ed25519, P-256), node:crypto only.
// Written independently of every peer library so the jose check does not share their did:key code.
import crypto from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btcDecode(text) {
  let value = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) throw new Error(`invalid base58btc character ${JSON.stringify(ch)}`);
    value = value * 58n + BigInt(digit);
  }
  const bytes = [];
  while (value > 0n) { bytes.unshift(Number(value & 0xffn)); value >>= 8n; }
  const zeros = text.length - text.replace(/^1+/, '').length;
  return Buffer.from([...new Array(zeros).fill(0), ...bytes]);
}

// multicodec varint prefix -> expected key length and the DER SPKI header that wraps the raw key
const KEY_TYPES = [
  { name: 'Ed25519', alg: 'EdDSA', prefix: [0xed, 0x01], length: 32, spki: '302a300506032b6570032100' },
  // P-256 keys in did:key are SEC1 compressed points (33 bytes)
  { name: 'P-256', alg: 'ES256', prefix: [0x80, 0x24], length: 33, spki: '3039301306072a8648ce3d020106082a8648ce3d030107032200' },
];

/** Splits `did:key:X#Y` into the DID and fragment; throws unless it is a did:key. */
export function splitDidUrl(didUrl) {
  const [did, fragment] = String(didUrl).split('#', 2);
  if (!/^did:key:z[1-9A-HJ-NP-Za-km-z]+$/.test(did)) throw new Error(`not a did:key: ${didUrl}`);
  return { did, fragment };
}

/** Resolves a did:key (URL) to {did, alg, keyType, publicKey: KeyObject}. */
export function resolveDidKey(didUrl) {
  const { did, fragment } = splitDidUrl(didUrl);
  const multibase = did.slice('did:key:'.length);
  if (fragment !== undefined && fragment !== multibase) throw new Error(`fragment #${fragment} is not the key of ${did}`);
  const bytes = base58btcDecode(multibase.slice(1));
  const type = KEY_TYPES.find((t) => t.prefix.every((b, i) => bytes[i] === b));
  if (!type) throw new Error(`unsupported did:key multicodec in ${did}`);
  const raw = bytes.subarray(type.prefix.length);
  if (raw.length !== type.length) throw new Error(`${type.name} did:key has ${raw.length} key bytes, expected ${type.length}`);
  const publicKey = crypto.createPublicKey({ key: Buffer.concat([Buffer.from(type.spki, 'hex'), raw]), format: 'der', type: 'spki' });
  return { did, alg: type.alg, keyType: type.name, publicKey };
}
