//! Verifiable presentations (VC Data Model 2.0 §4.13) in both forms: a JSON-LD presentation with
//! an `eddsa-rdfc-2022` proof (`challenge` = the verifier's nonce, `domain` = its identifier) and
//! a VP-JWT (`aud`, `nonce`, the credentials in `vp.verifiableCredential`).
//!
//! Binding is checked here, because the proof libraries do not: a replayed presentation has a
//! valid signature. The caller passes the nonce and audience it expects.

use rosette_core::Timestamp;
use rosette_did::jws::{self, JwsError};
use rosette_did::{ProofPurpose as KeyPurpose, SigningKey};
use serde_json::{Map, Value, json};

use crate::canon::Canonicalizer;
use crate::data_integrity::{self, ProofOptions, ProofPurpose, SignError};
use crate::verdict::{CheckName, Outcome, Verdict};
use crate::verify::Verifier;

/// What the holder is answering: the verifier's nonce and identifier.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The verifier's nonce (`challenge` / `nonce`).
    pub nonce: String,
    /// The verifier's identifier (`domain` / `aud`), e.g. an OpenID4VP `client_id`.
    pub audience: String,
}

/// A credential as it goes into a presentation.
#[derive(Clone, Debug)]
pub enum PresentedCredential {
    /// A JSON credential with an embedded proof.
    Json(Value),
    /// A compact VC-JWT.
    Jwt(String),
}

impl PresentedCredential {
    fn to_value(&self) -> Value {
        match self {
            Self::Json(v) => v.clone(),
            // VCDM 2.0 §4.13 / VC-JOSE: an enveloped credential inside a JSON-LD presentation.
            Self::Jwt(jwt) => json!({
                "@context": "https://www.w3.org/ns/credentials/v2",
                "id": format!("data:application/vc+jwt,{jwt}"),
                "type": "EnvelopedVerifiableCredential",
            }),
        }
    }
}

/// Signs a JSON-LD presentation of `credentials` by `holder` (its DID) with an
/// `eddsa-rdfc-2022` proof for authentication, bound to `binding`.
pub fn sign_ldp_vp(
    canon: &Canonicalizer,
    holder: &str,
    verification_method: &str,
    key: &SigningKey,
    credentials: &[PresentedCredential],
    binding: &Binding,
    created: Timestamp,
) -> Result<Value, SignError> {
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": credentials.iter().map(PresentedCredential::to_value).collect::<Vec<_>>(),
    });
    let options = ProofOptions {
        verification_method: verification_method.to_owned(),
        purpose: ProofPurpose::Authentication,
        created: created.to_rfc3339(),
        challenge: Some(binding.nonce.clone()),
        domain: Some(binding.audience.clone()),
    };
    if key.key_type() != rosette_did::KeyType::Ed25519 {
        return Err(SignError::WrongKeyType);
    }
    data_integrity::sign_with(canon, presentation, &options, |data| {
        *key.sign(data).as_bytes()
    })
}

/// Signs a VP-JWT of `credentials` by `holder`, bound to `binding`; valid for five minutes.
pub fn sign_jwt_vp(
    holder: &str,
    kid: &str,
    key: &SigningKey,
    credentials: &[PresentedCredential],
    binding: &Binding,
    now: Timestamp,
) -> Result<String, JwsError> {
    let vcs: Vec<Value> = credentials
        .iter()
        .map(|c| match c {
            PresentedCredential::Jwt(jwt) => Value::String(jwt.clone()),
            PresentedCredential::Json(v) => v.clone(),
        })
        .collect();
    let claims = json!({
        "iss": holder,
        "aud": binding.audience,
        "nonce": binding.nonce,
        "iat": now.unix(),
        "nbf": now.unix(),
        "exp": now.plus_seconds(300).unix(),
        "vp": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": vcs,
        },
    });
    let header = crate::jwt_vc::header_for(key, kid, "JWT");
    jws::sign_compact(&header, claims.to_string().as_bytes(), key)
}

/// The result of checking a presentation: its own checks and one verdict per credential.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PresentationVerdict {
    /// The holder DID.
    pub holder: Option<String>,
    /// Checks of the presentation itself: format, proof, binding.
    pub presentation: Verdict,
    /// One verdict per presented credential, in order.
    pub credentials: Vec<Verdict>,
}

impl PresentationVerdict {
    /// True when the presentation and every credential in it verify.
    pub fn is_valid(&self) -> bool {
        self.presentation.is_valid()
            && !self.credentials.is_empty()
            && self.credentials.iter().all(Verdict::is_valid)
    }
}

impl Verifier {
    /// Verifies a presentation (JSON-LD with a Data Integrity proof, or a VP-JWT) against the
    /// binding the verifier expects, then every credential in it, and that the holder is each
    /// credential's subject.
    pub async fn verify_presentation(
        &self,
        text_or_json: &Value,
        binding: &Binding,
    ) -> PresentationVerdict {
        match text_or_json {
            Value::String(jwt) => self.verify_jwt_vp(jwt, binding).await,
            Value::Object(_) => self.verify_ldp_vp(text_or_json, binding).await,
            _ => {
                let mut out = PresentationVerdict::default();
                out.presentation.fail(
                    CheckName::Format,
                    "a presentation is a JSON object or a JWT string",
                );
                out
            }
        }
    }

    async fn verify_ldp_vp(&self, document: &Value, binding: &Binding) -> PresentationVerdict {
        let mut out = PresentationVerdict::default();
        out.presentation.format = Some("ldp_vp".into());
        let Some(secured) = data_integrity::SecuredDocument::split(document.clone()) else {
            out.presentation
                .fail(CheckName::Format, "the presentation is not a JSON object");
            return out;
        };
        let object = secured.unsecured();
        out.holder = object
            .get("holder")
            .and_then(|h| h.as_str().or_else(|| h.get("id")?.as_str()))
            .map(str::to_owned);
        let proof = secured.proofs().and_then(|p| {
            let first = p
                .first()
                .copied()
                .ok_or(data_integrity::ProofError::Missing)?;
            data_integrity::parse_proof(first)
        });
        let parsed = match proof {
            Ok(parsed) => parsed,
            Err(e) => {
                out.presentation.fail(CheckName::Proof, e.to_string());
                return out;
            }
        };
        if parsed.challenge != Some(binding.nonce.as_str()) {
            out.presentation.fail(
                CheckName::Binding,
                format!(
                    "challenge {:?} is not the nonce we issued",
                    parsed.challenge
                ),
            );
        } else if parsed.domain != Some(binding.audience.as_str()) {
            out.presentation.fail(
                CheckName::Binding,
                format!("domain {:?} is not {}", parsed.domain, binding.audience),
            );
        } else {
            out.presentation
                .pass(CheckName::Binding, "challenge and domain match the request");
        }
        match self
            .resolver()
            .resolve(parsed.verification_method, KeyPurpose::Authentication)
            .await
        {
            Err(e) => out.presentation.fail(
                CheckName::Proof,
                format!("cannot resolve {}: {e}", parsed.verification_method),
            ),
            Ok(method) => {
                let result = secured.verify_proof(
                    self.canon(),
                    &parsed,
                    ProofPurpose::Authentication,
                    |d, s| method.public_key.verify(d, s).is_ok(),
                );
                match result {
                    Err(e) => out.presentation.fail(CheckName::Proof, e.to_string()),
                    Ok(()) if out.holder.as_deref() != Some(method.controller.as_str()) => {
                        out.presentation.fail(
                            CheckName::Proof,
                            format!("signed by {}, not by the holder", method.controller),
                        )
                    }
                    Ok(()) => out.presentation.pass(
                        CheckName::Proof,
                        format!("{} signature by the holder is valid", parsed.suite.name()),
                    ),
                }
            }
        }
        let credentials = match object.get("verifiableCredential") {
            Some(Value::Array(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        for credential in credentials {
            let verdict = match enveloped_jwt(&credential) {
                Some(jwt) => self.verify_jwt(&jwt).await,
                None => self.verify_ldp(&credential).await,
            };
            out.credentials
                .push(bind_subject(verdict, out.holder.as_deref()));
        }
        out
    }

    async fn verify_jwt_vp(&self, text: &str, binding: &Binding) -> PresentationVerdict {
        let mut out = PresentationVerdict::default();
        out.presentation.format = Some("jwt_vp_json".into());
        let decoded = match jws::decode_compact(text.trim()) {
            Ok(d) => d,
            Err(e) => {
                out.presentation
                    .fail(CheckName::Format, format!("not a VP-JWT: {e}"));
                return out;
            }
        };
        let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(&decoded.payload) else {
            out.presentation
                .fail(CheckName::Format, "the VP-JWT payload is not a JSON object");
            return out;
        };
        let holder = claims.get("iss").and_then(Value::as_str).map(str::to_owned);
        out.holder = holder.clone();
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == &binding.audience,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(&binding.audience)),
            _ => false,
        };
        if claims.get("nonce").and_then(Value::as_str) != Some(binding.nonce.as_str()) {
            out.presentation
                .fail(CheckName::Binding, "nonce is not the nonce we issued");
        } else if !aud_ok {
            out.presentation.fail(
                CheckName::Binding,
                format!("aud is not {}", binding.audience),
            );
        } else {
            out.presentation
                .pass(CheckName::Binding, "nonce and aud match the request");
        }
        let kid = decoded.header.kid.clone().unwrap_or_default();
        match self
            .resolver()
            .resolve(&kid, KeyPurpose::Authentication)
            .await
        {
            Err(e) => out
                .presentation
                .fail(CheckName::Proof, format!("cannot resolve kid {kid}: {e}")),
            Ok(method) => match decoded.verify(&method.public_key) {
                Err(e) => out.presentation.fail(CheckName::Proof, e.to_string()),
                Ok(()) if holder.as_deref() != Some(method.controller.as_str()) => {
                    out.presentation.fail(
                        CheckName::Proof,
                        format!("signed by {}, not by iss", method.controller),
                    )
                }
                Ok(()) => out
                    .presentation
                    .pass(CheckName::Proof, "JWS signature by the holder is valid"),
            },
        }
        let vcs = claims
            .get("vp")
            .and_then(|vp| vp.get("verifiableCredential"))
            .cloned();
        let vcs = match vcs {
            Some(Value::Array(items)) => items,
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for vc in vcs {
            let verdict = match &vc {
                Value::String(jwt) => self.verify_jwt(jwt).await,
                other => self.verify_ldp(other).await,
            };
            out.credentials
                .push(bind_subject(verdict, holder.as_deref()));
        }
        out
    }
}

fn enveloped_jwt(credential: &Value) -> Option<String> {
    let id = credential.get("id")?.as_str()?;
    id.strip_prefix("data:application/vc+jwt,")
        .map(str::to_owned)
}

/// Holder binding: the presenter must be the credential's subject.
fn bind_subject(mut verdict: Verdict, holder: Option<&str>) -> Verdict {
    match (verdict.subject.as_deref(), holder) {
        (Some(subject), Some(holder)) if subject == holder => {
            verdict.pass(CheckName::Binding, "the holder is the credential subject")
        }
        (subject, holder) => verdict.push(
            CheckName::Binding,
            Outcome::Failed,
            format!("the holder {holder:?} is not the credential subject {subject:?}"),
        ),
    }
    verdict
}
