//! Admin tokens of an institution: list, create (optionally expiring), revoke, rotate. A token
//! is shown once, when made; the store keeps its SHA-256 only. Tokens start with
//! [`TOKEN_PREFIX`] so that secret scanners (and people) recognise one pasted where it should
//! not be.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use rosette_oid4vci::SecretHash;
use serde::Deserialize;
use serde_json::{Value, json};

use super::service::IssuerService;
use crate::directory::records::AdminTokenRow;
use crate::error::AdminError;

/// The first characters of every admin token this agent makes.
pub const TOKEN_PREFIX: &str = "rosette_at_";
/// Tokens one institution may hold.
pub const MAX_TOKENS: usize = 100;
/// Longest a token may be made to live, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// `POST …/admin/tokens` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for.
    #[serde(default)]
    pub name: String,
    /// Days until it stops working; none: until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

impl IssuerService {
    /// A fresh token and its row (not stored).
    pub(crate) fn new_admin_token(
        &self,
        slug: &str,
        name: &str,
        expires_at: Option<i64>,
    ) -> (String, AdminTokenRow) {
        let mut secret = [0_u8; 32];
        OsRng.fill_bytes(&mut secret);
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
        let mut id = [0_u8; 6];
        OsRng.fill_bytes(&mut id);
        let row = AdminTokenRow {
            token_hash: SecretHash::of(&token).to_hex(),
            slug: slug.to_owned(),
            created_at: self.now().unix(),
            id: format!("tok_{}", hex::encode(id)),
            name: name.to_owned(),
            expires_at,
        };
        (token, row)
    }

    fn token_rows(&self, slug: &str) -> Result<Vec<AdminTokenRow>, AdminError> {
        Ok(self
            .repo::<AdminTokenRow>()
            .scan(b"", None, rosette_storage::MAX_SCAN_LIMIT)?
            .into_iter()
            .map(|(_, row)| row)
            .filter(|row| row.slug == slug)
            .collect())
    }

    fn token_json(&self, row: &AdminTokenRow) -> Value {
        let time =
            |t: i64| rosette_core::Timestamp::from_unix(t).map(rosette_core::Timestamp::to_rfc3339);
        json!({
            "id": row.public_id(),
            "name": row.name,
            "created_at": time(row.created_at),
            "expires_at": row.expires_at.and_then(time),
            "expired": row.expires_at.is_some_and(|at| self.now().unix() >= at),
        })
    }

    /// `GET …/admin/tokens`: the institution's tokens (never the tokens themselves).
    pub fn list_admin_tokens(&self, slug: &str) -> Result<Value, AdminError> {
        let mut rows = self.token_rows(slug)?;
        rows.sort_by_key(|r| r.created_at);
        Ok(json!({"items": rows.iter().map(|r| self.token_json(r)).collect::<Vec<_>>()}))
    }

    /// `POST …/admin/tokens`: a new token, shown in the answer only.
    pub fn create_admin_token(&self, slug: &str, input: NewToken) -> Result<Value, AdminError> {
        let name = if input.name.trim().is_empty() {
            String::new()
        } else {
            rosette_core::text::display_name(&input.name, 120)
                .map_err(|e| AdminError::Invalid(format!("name {e}")))?
        };
        let expires_at = match input.expires_in_days {
            None => None,
            Some(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => {
                Some(self.now().plus_seconds(i64::from(days) * 86_400).unix())
            }
            Some(days) => {
                return Err(AdminError::Invalid(format!(
                    "expires_in_days must be between 1 and {MAX_TOKEN_DAYS} (got {days})"
                )));
            }
        };
        if self.token_rows(slug)?.len() >= MAX_TOKENS {
            return Err(AdminError::Invalid(format!(
                "an institution holds at most {MAX_TOKENS} tokens: revoke some first"
            )));
        }
        let (token, row) = self.new_admin_token(slug, &name, expires_at);
        self.repo::<AdminTokenRow>().put(&row)?;
        tracing::info!(slug, id = %row.public_id(), "admin token created");
        let mut answer = self.token_json(&row);
        answer["token"] = json!(token);
        Ok(answer)
    }

    /// `DELETE …/admin/tokens/{id}`: the token stops working at once. Revoking the token the
    /// request came with is allowed (it is the way to retire a leaked one).
    pub fn revoke_admin_token(&self, slug: &str, id: &str) -> Result<(), AdminError> {
        let row = self
            .token_rows(slug)?
            .into_iter()
            .find(|r| r.public_id() == id)
            .ok_or(AdminError::NotFound("token"))?;
        self.repo::<AdminTokenRow>()
            .remove(row.token_hash.as_bytes())?;
        tracing::info!(slug, id, "admin token revoked");
        Ok(())
    }

    /// `POST …/admin/tokens/{id}/rotate`: a new token with the same name and lifetime left;
    /// the old one stops working in the same write.
    pub fn rotate_admin_token(&self, slug: &str, id: &str) -> Result<Value, AdminError> {
        let old = self
            .token_rows(slug)?
            .into_iter()
            .find(|r| r.public_id() == id)
            .ok_or(AdminError::NotFound("token"))?;
        let (token, row) = self.new_admin_token(slug, &old.name, old.expires_at);
        let stored = self
            .repo::<AdminTokenRow>()
            .load(old.token_hash.as_bytes())?
            .ok_or(AdminError::NotFound("token"))?;
        let mut batch = rosette_storage::WriteBatch::new();
        batch.require_unchanged::<AdminTokenRow>(old.token_hash.clone().into_bytes(), &stored);
        batch.delete::<AdminTokenRow>(old.token_hash.as_bytes().to_vec());
        batch.put(&row)?;
        if self.store().apply_checked(batch)?.is_err() {
            return Err(AdminError::Conflict(
                "the token changed at the same time".into(),
            ));
        }
        tracing::info!(slug, old = id, new = %row.public_id(), "admin token rotated");
        let mut answer = self.token_json(&row);
        answer["token"] = json!(token);
        answer["replaces"] = json!(id);
        Ok(answer)
    }

    /// The demo institution's admin token: the same on every `--demo` start (derived from the
    /// sealed server secret), so what the README and earlier output say keeps working, and
    /// `--demo` adds no token per start.
    pub fn demo_admin_token(&self, slug: &str) -> Result<String, AdminError> {
        let token = format!(
            "{TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(self.derive("demo-admin-token", slug))
        );
        let hash = SecretHash::of(&token).to_hex();
        let repo = self.repo::<AdminTokenRow>();
        if repo.get(hash.as_bytes())?.is_none() {
            repo.put(&AdminTokenRow {
                token_hash: hash,
                slug: slug.to_owned(),
                created_at: self.now().unix(),
                id: "tok_demo".into(),
                name: "demo (printed on every --demo start)".into(),
                expires_at: None,
            })?;
        }
        Ok(token)
    }
}
