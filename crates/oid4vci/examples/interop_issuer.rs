//! A throwaway HTTP/1.1 issuer over `std::net`, for driving this crate with independent
//! wallets (oid4vc-ts) before the real server exists. NOT a server to deploy: no TLS, one
//! connection at a time, in-memory state, and an UNSIGNED placeholder credential.
//!
//! `cargo run -p rosette-oid4vci --example interop_issuer` prints one JSON line
//! `{"issuer", "offer", "tx_code"}`, then serves until killed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use rand::rngs::OsRng;
use rosette_core::{Clock, SystemClock};
use rosette_oid4vci::{
    AccessTokenRecord, AuthorizationServerMetadata, CredentialConfiguration, CredentialDisplay,
    CredentialIssuerMetadata, CredentialOffer, CredentialRequest, CredentialResponse,
    ErrorResponse, KeyProofExpectations, NonceRecord, NonceResponse, PreAuthorizedCode,
    PreAuthorizedCodeState, SecretHash, TokenRequest, TokenSettings, TxCode, TxCodeSpec,
    bearer_token, check_distinct_keys, issue_nonce, offer_url_by_reference, redeem,
    unverified_proof_nonce, validate_credential_request, validate_jwt_proof,
};
use serde_json::{Value, json};

const LDP: &str = "OpenBadgeCredential_ldp_vc";
const JWT: &str = "OpenBadgeCredential_jwt_vc_json";

struct Issuer {
    id: String,
    metadata: CredentialIssuerMetadata,
    offer: CredentialOffer,
    code: PreAuthorizedCodeState,
    tokens: BTreeMap<String, AccessTokenRecord>,
    nonces: BTreeMap<String, NonceRecord>,
}

struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

fn json_reply(status: u16, body: impl serde::Serialize) -> Reply {
    Reply {
        status,
        body: serde_json::to_value(body).ok(),
        headers: vec![("Cache-Control", "no-store".to_owned())],
    }
}

fn error_reply((status, body): (u16, ErrorResponse)) -> Reply {
    eprintln!("-> {status} {body:?}");
    json_reply(status, body)
}

impl Issuer {
    fn handle(
        &mut self,
        method: &str,
        path: &str,
        headers: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Reply {
        let now = SystemClock.now();
        match (method, path) {
            ("GET", "/.well-known/openid-credential-issuer") => json_reply(200, &self.metadata),
            ("GET", "/.well-known/oauth-authorization-server") => json_reply(
                200,
                AuthorizationServerMetadata::pre_authorized_only(&self.id, true),
            ),
            ("GET", "/offers/1") => json_reply(200, &self.offer),
            ("POST", "/token") => {
                let request = match TokenRequest::from_form(body) {
                    Ok(r) => r,
                    Err(e) => return error_reply(e.to_wire()),
                };
                match redeem(
                    &mut self.code,
                    &request,
                    &TokenSettings::default(),
                    now,
                    &mut OsRng,
                ) {
                    Ok(grant) => {
                        if let Some((_, record)) = &grant.c_nonce {
                            self.nonces.insert(record.hash.to_hex(), record.clone());
                        }
                        self.tokens
                            .insert(grant.record.token_hash.to_hex(), grant.record.clone());
                        json_reply(200, grant.response())
                    }
                    Err(e) => error_reply(e.to_wire()),
                }
            }
            ("POST", "/nonce") => {
                let (nonce, record) = issue_nonce(&mut OsRng, now, 300);
                self.nonces.insert(record.hash.to_hex(), record);
                json_reply(200, NonceResponse::new(&nonce))
            }
            ("POST", "/credential") => self.credential(headers, body, now),
            ("POST", "/notification") => Reply {
                status: 204,
                body: None,
                headers: vec![],
            },
            _ => Reply {
                status: 404,
                body: None,
                headers: vec![],
            },
        }
    }

    fn credential(
        &mut self,
        headers: &BTreeMap<String, String>,
        body: &[u8],
        now: rosette_core::Timestamp,
    ) -> Reply {
        let presented = match bearer_token(headers.get("authorization").map(String::as_str)) {
            Ok(t) => t,
            Err(e) => return error_reply(e.to_wire()),
        };
        let Some(token) = self
            .tokens
            .get(&SecretHash::of(presented).to_hex())
            .cloned()
        else {
            return error_reply(rosette_oid4vci::BearerError::UnknownToken.to_wire());
        };
        if let Err(e) = token.authorize(presented, now) {
            return error_reply(e.to_wire());
        }
        let request = match CredentialRequest::from_json(body) {
            Ok(r) => r,
            Err(e) => return error_reply(e.to_wire()),
        };
        eprintln!("credential request: {}", String::from_utf8_lossy(body));
        let valid = match validate_credential_request(&request, &self.metadata, &token) {
            Ok(v) => v,
            Err(e) => return error_reply(e.to_wire()),
        };
        let algs = self.metadata.credential_configurations_supported
            [&valid.credential_configuration_id]
            .jwt_proof_algs()
            .unwrap_or_default()
            .to_vec();
        let mut keys = Vec::new();
        let mut used = Vec::new();
        for jwt in &valid.jwt_proofs {
            let nonce = match unverified_proof_nonce(jwt) {
                Ok(n) => n,
                Err(e) => return error_reply(e.to_wire()),
            };
            let hash = SecretHash::of(&nonce).to_hex();
            let checked = match self.nonces.get(&hash) {
                None => Err(rosette_oid4vci::NonceError::Unknown),
                Some(record) => record.check(&nonce, now),
            };
            if let Err(e) = checked {
                return error_reply(e.to_wire());
            }
            let mut expect = KeyProofExpectations::new(&self.id, Some(&nonce), now, &algs);
            expect.client_id = token.client_id.as_deref();
            match validate_jwt_proof(jwt, &expect) {
                Ok(key) => keys.push(key),
                Err(e) => return error_reply(e.to_wire()),
            }
            used.push((hash, nonce));
        }
        if let Err(e) = check_distinct_keys(&keys) {
            return error_reply(e.to_wire());
        }
        for (hash, nonce) in used {
            if let Some(record) = self.nonces.get_mut(&hash) {
                let _ = record.consume(&nonce, now);
            }
        }
        let credentials = keys
            .iter()
            .map(|key| {
                if valid.credential_configuration_id == JWT {
                    Value::from(format!("unsigned-placeholder-for.{}", key.did))
                } else {
                    json!({
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential", "OpenBadgeCredential"],
                        "issuer": "did:example:placeholder",
                        "credentialSubject": {"id": key.did},
                    })
                }
            })
            .collect();
        json_reply(
            200,
            CredentialResponse::issued(credentials, Some("n-1".into()), valid.dialect),
        )
    }
}

fn serve(issuer: &mut Issuer, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or("");
    eprintln!("{method} {path}");
    let reply = issuer.handle(&method, path, &headers, &body);
    let payload = reply.body.map(|b| b.to_string()).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        reply.status,
        payload.len()
    );
    if !payload.is_empty() {
        out.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&payload);
    let mut stream = stream;
    stream.write_all(out.as_bytes())?;
    stream.flush()
}

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let id = format!("http://{}", listener.local_addr()?);
    let display = CredentialDisplay::new("Open Badge", Some("en"));
    let algs = vec!["EdDSA".to_owned(), "ES256".to_owned()];
    let mut configs = BTreeMap::new();
    configs.insert(
        LDP.to_owned(),
        CredentialConfiguration::ldp_vc(
            vec![
                "https://www.w3.org/ns/credentials/v2".into(),
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json".into(),
            ],
            vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            algs.clone(),
            display.clone(),
        ),
    );
    configs.insert(
        JWT.to_owned(),
        CredentialConfiguration::jwt_vc_json(
            vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            algs.clone(),
            algs,
            display,
        ),
    );
    let metadata = CredentialIssuerMetadata::new(&id, configs);
    let code = PreAuthorizedCode::generate(&mut OsRng);
    let pin = TxCode::generate_numeric(6, &mut OsRng);
    let ids = vec![LDP.to_owned(), JWT.to_owned()];
    let state = PreAuthorizedCodeState::new(&code, ids.clone(), Some(&pin), SystemClock.now(), 600);
    let offer = CredentialOffer::pre_authorized(
        &id,
        ids,
        code.expose_secret(),
        Some(TxCodeSpec::numeric(6, Some("PIN"))),
    );
    let offer_url = offer_url_by_reference(&format!("{id}/offers/1"));
    println!(
        "{}",
        json!({"issuer": id, "offer": offer_url, "tx_code": pin.expose_secret()})
    );
    let mut issuer = Issuer {
        id,
        metadata,
        offer,
        code: state,
        tokens: BTreeMap::new(),
        nonces: BTreeMap::new(),
    };
    for stream in listener.incoming() {
        if let Err(e) = stream.and_then(|s| serve(&mut issuer, s)) {
            eprintln!("connection error: {e}");
        }
    }
    Ok(())
}
