#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from the project's own test vectors.

The seeds are valid (or nearly valid) inputs, so that a short run in CI starts deep inside
each parser instead of at its first byte. Each file is named after where it came from.
Run from the repository root: `python3 fuzz/seeds/make_corpus.py`. What fuzzing runs add
is not committed; a finding goes into fuzz/seeds/findings/<target>/ (minimised with
`cargo fuzz tmin` when it can be) and is copied into the corpus from there.
"""
import hashlib
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "fuzz" / "corpus"


def put(target, name, data):
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (folder / name).write_bytes(data)


def copy(target, path, name=None):
    path = ROOT / path
    put(target, name or path.name, path.read_bytes())


def files(pattern, limit=None):
    found = sorted(ROOT.glob(pattern))
    return found[:limit] if limit else found


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    canon = "crates/rdf/tests/vectors/rdf-canon/tests/rdfc10"
    for p in files(f"{canon}/test0[0-6]?-in.nq"):
        copy("nquads", p.relative_to(ROOT))
        copy("canonicalize", p.relative_to(ROOT))
    ob3 = "crates/proof/tests/vectors/ob3"
    for p in files(f"{ob3}/*.json"):
        for target in ("to_rdf", "read_credential", "verify_text"):
            copy(target, p.relative_to(ROOT))
    for p in files("crates/dcql/tests/vectors/credentials/*.json"):
        copy("to_rdf", p.relative_to(ROOT))
    copy("verify_text", f"{ob3}/validator-simple.vc-jwt-rs256.jwt")
    copy("decode_compact", f"{ob3}/validator-simple.vc-jwt-rs256.jwt")
    copy("decode_compact", "crates/oid4vci/tests/vectors/jwt_proof/jwt_proof_es256_jwk_F.1.txt")
    copy("key_proof", "crates/oid4vci/tests/vectors/jwt_proof/jwt_proof_es256_jwk_F.1.txt")
    for p in files("crates/baking/tests/vectors/*.png") + files("crates/baking/tests/vectors/*.svg"):
        copy("unbake", p.relative_to(ROOT))
    dids = json.loads((ROOT / "crates/did/tests/vectors/did-key-spec/ed25519-x25519.json").read_text())
    for i, did in enumerate(list(dids)[:3]):
        put("did_key", f"ed25519-x25519-{i}.txt", did)
        put("did_key", f"ed25519-x25519-{i}-url.txt", f"{did}#{did.removeprefix('did:key:')}")
    put("did_key", "did-web.txt", "did:web:example.org%3A8443:issuers:demo")
    for p in files("crates/oid4vci/tests/vectors/offer_url/*.txt"):
        copy("offer_url", p.relative_to(ROOT))
    for p in files("crates/oid4vci/tests/vectors/token_request/*.txt"):
        copy("issuer_requests", p.relative_to(ROOT))
    for p in files("crates/oid4vci/tests/vectors/credential_request/*.json") + files(
        "crates/oid4vci/tests/vectors/notification_request/*.json"
    ):
        copy("issuer_requests", p.relative_to(ROOT))
    for p in files("crates/oid4vp/tests/vectors/oid4vc-ts/*.url"):
        copy("request_url", p.relative_to(ROOT))
    put(
        "request_url",
        "request-uri.txt",
        "openid4vp://?client_id=x509_san_dns%3Averifier.example.org&request_uri=https%3A%2F%2Fverifier.example.org%2Fr%2F1",
    )
    signed = ROOT / "crates/oid4vp/tests/vectors/oid4vc-ts/signed-request-uri.ldp_vc.request.jwt"
    payload = signed.read_text().strip().split(".")[1]
    put("request_url", "signed-request-payload.b64", payload)
    badge = (ROOT / "crates/dcql/tests/vectors/credentials/demo-badge.ldp.json").read_text()
    from urllib.parse import urlencode

    put("direct_post", "vp-token.form", urlencode({"vp_token": json.dumps({"openbadge": [json.loads(badge)]}), "state": "st-1"}))
    put("direct_post", "vp-token-jwt.form", urlencode({"vp_token": json.dumps({"openbadge": ["eyJhbGciOiJFZERTQSJ9.e30.AA"]})}))
    put("direct_post", "error.form", urlencode({"error": "access_denied", "error_description": "no", "state": "s"}))
    for p in files("crates/dcql/tests/vectors/cases/*.json", 12):
        case = json.loads(p.read_text())
        put("dcql_query", p.name, json.dumps(case["query"], indent=1))
    status = json.loads((ROOT / f"{ob3}/validator-bitstring-status-list-credential.eddsa-rdfc-2022.json").read_text())
    revoked = json.loads((ROOT / f"{ob3}/validator-bitstring-revoked.eddsa-rdfc-2022.json").read_text())
    put("status_list", "encoded-list.txt", status["credentialSubject"]["encodedList"])
    put("status_list", "pair.json", json.dumps([revoked, status], indent=1))
    for i, text in enumerate(
        [
            "Alice Example",
            "  Ｆｕｌｌｗｉｄｔｈ Name ",
            "Alice \u202egnp.exe",
            "Zoë d\u0301",
            "https://example.org/criteria#a",
            "HTTP://EXAMPLE.ORG:443/./a/../b?x=1",
            "javascript:alert(1)",
            "data:image/png;base64,iVBORw0KGgo=",
            "https://user:pw@example.org/",
        ]
    ):
        put("text_fields", f"field-{i}.txt", text)
    for i, url in enumerate(
        [
            "https://example.org/status/1",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fe80::1]/",
            "http://localhost:8080/x",
            "https://100.64.0.1/",
            "https://8.8.8.8/",
        ]
    ):
        put("fetch_url", f"url-{i}.txt", url)
    for i, text in enumerate(["https://badges.example.org/offer?x=1", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%2Fo%2F1", "123456"]):
        put("qr_encode", f"text-{i}.txt", text)
    put("qr_decode", "baked.png", (ROOT / "crates/baking/tests/vectors/validator-simple-baked-json.png").read_bytes())
    # Made once with python-qrcode 8.2 (`qrcode.make(offer_url, box_size=4, border=2)`).
    copy("qr_decode", "fuzz/seeds/qr-offer.png")
    put("bulk_csv", "with-pin.csv", "name,email,achievement_id,pin\nAda Lovelace,ada@example.org,ach-1,true\n\"Grace, H.\",grace@example.org,ach-1,\n")
    put("bulk_csv", "quoted.csv", "\ufeffName,Email,Achievement_ID\n\"A \"\"quoted\"\" name\",a@example.org,x\n\nB,b@example.org,y\n")
    # Inputs that once failed a target (fuzz/seeds/findings/<target>/): replayed by
    # `cargo test -p rosette-fuzzing` from then on.
    for p in files("fuzz/seeds/findings/*/*"):
        copy(p.parent.name, p.relative_to(ROOT))
    # Names stay stable whatever order the globs return; contents are what matter.
    for folder in sorted(OUT.iterdir()):
        print(f"{folder.name}: {len(list(folder.iterdir()))} seeds")


if __name__ == "__main__":
    main()
