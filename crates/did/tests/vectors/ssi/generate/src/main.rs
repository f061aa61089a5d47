// One-off: records ssi's did:key output for one Ed25519 and one P-256 key.
use did_method_key::DIDKey;
use ssi_dids_core::DIDResolver;
use ssi_jwk::JWK;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut cases = Vec::new();
    for jwk in [JWK::generate_ed25519().unwrap(), JWK::generate_p256()] {
        let public = jwk.to_public();
        let did = DIDKey::generate(&public).unwrap();
        let vm = DIDKey::generate_url(&public).unwrap();
        let out = DIDKey.resolve(did.as_did()).await.unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.document.to_bytes()).unwrap();
        cases.push(serde_json::json!({
            "publicKeyJwk": serde_json::to_value(&public).unwrap(),
            "did": did.as_str(),
            "verificationMethod": vm.as_str(),
            "didDocument": doc,
        }));
    }
    println!("{}", serde_json::to_string_pretty(&cases).unwrap());
}
