// Usage: node generate.cjs (with jsonld@9.0.0 resolvable; paths below are the project layout).
const jsonld = require('jsonld');
const fs = require('fs');
const path = require('path');
const ctxDir = __dirname + '/../../../contexts';
const src = fs.readFileSync(ctxDir + '/SOURCES.md', 'utf8');
const map = {};
for (const m of src.matchAll(/^\| `contexts\/([^`]+)` \| (\S+) \|/gm)) map[m[2]] = path.join(ctxDir, m[1]);
const documentLoader = async (url) => {
  if (!map[url]) throw new Error('unknown ' + url);
  return {contextUrl: null, documentUrl: url, document: JSON.parse(fs.readFileSync(map[url], 'utf8'))};
};
(async () => {
  const dir = __dirname + '/../../../../proof/tests/vectors/ob3';
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.json')).map(f => path.join(dir, f));
  files.push(dir + '/test-vector/ob3-eddsa-rdfc-2022-signed.json');
  for (const f of files) {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    delete doc.proof;
    try {
      const nq = await jsonld.toRDF(doc, {format: 'application/n-quads', documentLoader, safe: true});
      fs.writeFileSync(__dirname + '/' + path.basename(f) + '.nq', nq);
      console.log('ok', path.basename(f), nq.split('\n').length - 1);
    } catch (e) { console.log('ERR', path.basename(f), e.message); }
  }
})();
