// Random small datasets canonicalized by Digital Bazaar's rdf-canonize (an independent
// RDFC-1.0 implementation), as a cross-check corpus for rosette-rdf.
// Run: npm install rdf-canonize@4.0.1 && node gen-xcheck.mjs > xcheck-rdf-canonize.json
import canonize from 'rdf-canonize';

let seed = 20261126;
const rnd = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const cases = [];
// Two shapes: varied terms, and one predicate with many blank nodes (forces N-degree hashing).
for (const [maxNodes, maxQuads, preds, bnodeObj] of [[7, 18, 2, 2], [10, 25, 1, 3]]) {
  let made = 0;
  while (made < 100) {
    const nb = 2 + rnd(maxNodes), nq = 2 + rnd(maxQuads);
    const lines = new Set();
    for (let j = 0; j < nq; j++) {
      const s = rnd(4) ? `_:n${rnd(nb)}` : `<urn:s:${rnd(2)}>`;
      const k = rnd(4);
      const o = k < bnodeObj ? `_:n${rnd(nb)}` : k == 2 ? `<urn:x:${rnd(3)}>` : `"v${rnd(3)}"${rnd(3) == 0 ? '@en' : ''}`;
      const g = rnd(5) == 0 ? ` _:n${rnd(nb)}` : rnd(6) == 0 ? ' <urn:g>' : '';
      lines.add(`${s} <urn:p:${rnd(preds)}> ${o}${g} .\n`);
    }
    const input = [...lines].join('');
    const hashAlgorithm = made % 10 == 9 ? 'SHA-384' : 'SHA-256';
    try {
      const output = await canonize.canonize(input, {
        algorithm: 'RDFC-1.0', inputFormat: 'application/n-quads', format: 'application/n-quads',
        messageDigestAlgorithm: hashAlgorithm, maxWorkFactor: 3,
      });
      cases.push({ hashAlgorithm, input, output });
      made++;
    } catch (e) { /* rdf-canonize refused it as too complex: not a comparable case */ }
  }
}
console.log(JSON.stringify({ generator: 'gen-xcheck.mjs', implementation: 'rdf-canonize 4.0.1', cases }, null, 1));
