//! Test harness: start the agent, drive the protocol, sign key proofs.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_agent::app::AppState;
use rosette_agent::config::Settings;
use rosette_core::{Clock, FixedClock, SecretString, Timestamp};
use rosette_did::jws::{JwsAlgorithm, JwsHeader, sign_compact};
use rosette_did::{KeyType, SigningKey};
use rosette_storage::{MemoryStore, Store};
use serde_json::{Value, json};

pub const OPERATOR: &str = "operator-test-token";
pub const LDP: &str = "OpenBadgeCredential_ldp_vc";
pub const JWT: &str = "OpenBadgeCredential_jwt_vc_json";

pub struct TestServer {
    pub url: String,
    pub http: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub app: AppState,
    task: tokio::task::JoinHandle<()>,
}

/// The key-encryption key of the test servers (hex).
pub const TEST_KEK: &str = "5f2b8c1e9a7d3f6042b1e8c7d9a0f3e6b5c4d2a1908f7e6d5c4b3a2918071625";

pub fn fixed_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        Timestamp::from_unix(1_800_000_000).unwrap(),
    ))
}

pub async fn start() -> TestServer {
    start_with(Arc::new(MemoryStore::new()), fixed_clock()).await
}

pub async fn start_with(store: Arc<dyn Store>, clock: Arc<FixedClock>) -> TestServer {
    // Most tests exercise batch issuance too (off by default): up to 4 proofs per request;
    // and lock an offer after 5 wrong PINs (20 by default, from all clients together).
    start_configured(store, clock, |s| {
        s.batch_size = 4;
        s.max_tx_code_attempts = 5;
    })
    .await
}

/// A server on the agent's default settings, but for what `edit` changes.
pub async fn start_configured(
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    edit: impl FnOnce(&mut Settings),
) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = Settings::new(url.clone(), SecretString::new(OPERATOR));
    // One key-encryption key for every test server, so a restart on the same store reads
    // what the first server sealed (as an operator keeps theirs).
    settings.kek = rosette_core::kek::Kek::parse(TEST_KEK).unwrap();
    edit(&mut settings);
    let app = AppState::new(store, clock.clone() as Arc<dyn Clock>, settings).unwrap();
    let router = rosette_agent::server::router(app.clone());
    // The agent's own accept loop (timeouts, connection cap, peer address), as in production.
    let task = tokio::spawn(async move {
        rosette_agent::web::serve::serve(
            listener,
            router,
            rosette_agent::web::serve::ServeLimits::default(),
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    TestServer {
        url,
        http: reqwest::Client::new(),
        clock,
        app,
        task,
    }
}

impl TestServer {
    /// Stops the server and releases its store.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        drop(self.app);
    }

    pub fn issuer(&self, slug: &str) -> String {
        format!("{}/issuers/{slug}", self.url)
    }

    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    /// Creates an institution; returns its admin token.
    pub async fn institution(&self, slug: &str) -> String {
        let (status, body) = self
            .post_json(
                "/admin/institutions",
                OPERATOR,
                json!({"slug": slug, "name": format!("{slug} University")}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["admin_token"].as_str().unwrap().to_owned()
    }

    pub async fn achievement(&self, slug: &str, token: &str) -> String {
        let (status, body) = self
            .post_json(
                &format!("/issuers/{slug}/admin/achievements"),
                token,
                json!({
                    "name": "Rust Practitioner",
                    "description": "Builds verifiable credentials in Rust.",
                    "criteria": {"narrative": "Ship an issuer."},
                    "tags": ["rust"],
                    "achievement_type": "Badge"
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn offer(&self, slug: &str, token: &str, achievement: &str, extra: Value) -> Value {
        let mut body = json!({"achievement_id": achievement, "recipient": {"name": "Ada Lovelace", "email": "ada@example.org"}});
        if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                o.insert(k.clone(), v.clone());
            }
        }
        let (status, body) = self
            .post_json(&format!("/issuers/{slug}/admin/offers"), token, body)
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// An institution with one achievement and one offer (PIN on).
    pub async fn setup(&self, slug: &str) -> (String, Value) {
        let token = self.institution(slug).await;
        let achievement = self.achievement(slug, &token).await;
        let offer = self.offer(slug, &token, &achievement, json!({})).await;
        (token, offer)
    }

    /// Follows the by-reference offer URL; returns the offer object.
    pub async fn fetch_offer(&self, offer_url: &str) -> Value {
        let url = url::Url::parse(offer_url).unwrap();
        let uri = url
            .query_pairs()
            .find(|(k, _)| k == "credential_offer_uri")
            .unwrap()
            .1
            .into_owned();
        let r = self.http.get(uri).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn pre_authorized_code(&self, offer: &Value) -> String {
        let object = self.fetch_offer(offer["offer_url"].as_str().unwrap()).await;
        object["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"].as_str().unwrap().to_owned()
    }

    /// `POST …/token` with the pre-authorized code, the PIN if any and, when `client` is given,
    /// `X-Forwarded-For: client` (as through a trusted reverse proxy).
    async fn token_post(
        &self,
        slug: &str,
        code: &str,
        pin: Option<&str>,
        client: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            ),
            ("pre-authorized_code", code),
        ];
        if let Some(pin) = pin {
            form.push(("tx_code", pin));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = self
            .http
            .post(format!("{}/token", self.issuer(slug)))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(client) = client {
            request = request.header("x-forwarded-for", client);
        }
        request.body(body).send().await.unwrap()
    }

    /// A token request as it arrives through a trusted reverse proxy from `client`; also
    /// returns the `Retry-After` header.
    pub async fn token_request_from(
        &self,
        client: &str,
        slug: &str,
        code: &str,
        pin: Option<&str>,
    ) -> (u16, Value, Option<String>) {
        let r = self.token_post(slug, code, pin, Some(client)).await;
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, body) = status_json(r).await;
        (status, body, retry)
    }

    pub async fn token_request(&self, slug: &str, code: &str, pin: Option<&str>) -> (u16, Value) {
        let r = self.token_post(slug, code, pin, None).await;
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        status_json(r).await
    }

    /// Redeems an offer; returns the access token.
    pub async fn access_token(&self, slug: &str, offer: &Value) -> String {
        let code = self.pre_authorized_code(offer).await;
        let (status, body) = self
            .token_request(slug, &code, offer["tx_code"].as_str())
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn nonce(&self, slug: &str) -> String {
        let r = self
            .http
            .post(format!("{}/nonce", self.issuer(slug)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        let body: Value = r.json().await.unwrap();
        body["c_nonce"].as_str().unwrap().to_owned()
    }

    pub async fn credential_request(
        &self,
        slug: &str,
        access_token: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/credential", self.issuer(slug)))
            .bearer_auth(access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    pub fn now(&self) -> i64 {
        self.clock.now().unix()
    }
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    assert!(status < 500, "server error {status}: {body}");
    (status, body)
}

pub fn holder_key() -> SigningKey {
    SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng)
}

/// A key proof JWT (`openid4vci-proof+jwt`, kid = the key's did:key URL).
pub fn proof(key: &SigningKey, aud: &str, nonce: &str, iat: i64) -> String {
    proof_with(key, key, "openid4vci-proof+jwt", aud, nonce, iat)
}

/// A key proof whose `kid` names `kid_key` but which `signer` signs.
pub fn proof_with(
    kid_key: &SigningKey,
    signer: &SigningKey,
    typ: &str,
    aud: &str,
    nonce: &str,
    iat: i64,
) -> String {
    let mut header = JwsHeader::new(JwsAlgorithm::for_key_type(signer.key_type()));
    header.typ = Some(typ.to_owned());
    header.kid = Some(kid_key.did_key_verification_method().as_str().to_owned());
    let payload = json!({"aud": aud, "iat": iat, "nonce": nonce});
    sign_compact(&header, payload.to_string().as_bytes(), signer).unwrap()
}

/// An unsigned (`alg: none`) key proof.
pub fn unsigned_proof(key: &SigningKey, aud: &str, nonce: &str, iat: i64) -> String {
    let header = json!({"alg": "none", "typ": "openid4vci-proof+jwt", "kid": key.did_key_verification_method().as_str()});
    let payload = json!({"aud": aud, "iat": iat, "nonce": nonce});
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

pub fn request(config: &str, proofs: Vec<String>) -> Value {
    json!({"credential_configuration_id": config, "proofs": {"jwt": proofs}})
}

pub fn error_code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("<none>")
}
