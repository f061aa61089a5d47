//! Institutions: creating them (with a fresh key and DID), their display, admin tokens, the
//! did:web document.

use rand::rngs::OsRng;
use rosette_storage::{Record, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::service::{IssuerService, Page, PageRequest};
use crate::directory::records::{AdminTokenRow, DidMethod, InstitutionRow, KeyRow};
use crate::error::{AdminError, ProtocolError};
use rosette_did::{KeyType, SigningKey};

use crate::directory::valid_slug;

/// `POST /admin/institutions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInstitution {
    /// `[a-z0-9-]{1,40}`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Home page.
    #[serde(default)]
    pub url: Option<String>,
    /// Logo URL.
    #[serde(default)]
    pub logo: Option<String>,
    /// `key` (default) or `web`.
    #[serde(default)]
    pub did_method: Option<DidMethod>,
}

/// `PUT B/admin/institution` body: how the institution presents itself (issuer metadata
/// `display`, the `issuer` of new credentials, the pages).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionDisplay {
    /// Display name (1 to 200 characters).
    pub name: String,
    /// Home page, `https://` or `http://`; absent or empty: none.
    #[serde(default)]
    pub url: Option<String>,
    /// Logo: an `https://` URL or a `data:image/…;base64,` URI of at most 256 KiB; absent or
    /// empty: none.
    #[serde(default)]
    pub logo: Option<String>,
}

/// The answer to creating an institution (the admin token is shown only here).
#[derive(Serialize)]
pub struct CreatedInstitution {
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Issuer DID.
    pub did: String,
    /// Credential Issuer Identifier.
    pub issuer: String,
    /// The institution's admin token.
    pub admin_token: String,
}

impl std::fmt::Debug for CreatedInstitution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInstitution")
            .field("slug", &self.slug)
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

impl IssuerService {
    // ---------------------------------------------------------------- institutions

    /// Creates an institution with a fresh Ed25519 key.
    pub fn create_institution(
        &self,
        input: NewInstitution,
    ) -> Result<CreatedInstitution, AdminError> {
        if !valid_slug(&input.slug) {
            return Err(AdminError::Invalid(
                "slug must match [a-z0-9-]{1,40}".into(),
            ));
        }
        let (name, url, logo) = checked_display(&input.name, input.url, input.logo)?;
        let method = input.did_method.unwrap_or(DidMethod::Key);
        let key = SigningKey::generate(KeyType::Ed25519, &mut OsRng);
        let did = match method {
            DidMethod::Key => key.did_key().as_str().to_owned(),
            DidMethod::Web => self.did_web(&input.slug)?,
        };
        let row = InstitutionRow {
            slug: input.slug.clone(),
            name,
            url,
            logo,
            did_method: method,
            did: did.clone(),
            created_at: self.now().unix(),
        };
        let key_row = KeyRow {
            slug: input.slug.clone(),
            private_jwk: self.settings().kek.seal(
                &KeyRow::purpose(&input.slug),
                zeroize::Zeroizing::new(key.to_jwk_json().to_string()).as_bytes(),
            ),
        };
        let (admin_token, token_row) =
            self.new_admin_token(&input.slug, "created with the institution", None);
        let mut batch = WriteBatch::new();
        batch.require_no_record::<InstitutionRow>(row.key());
        batch.put(&row)?.put(&key_row)?.put(&token_row)?;
        if self.store().apply_checked(batch)?.is_err() {
            return Err(AdminError::Conflict(format!(
                "institution {} exists",
                input.slug
            )));
        }
        tracing::info!(slug = %row.slug, did = %row.did, "institution created");
        Ok(CreatedInstitution {
            slug: row.slug.clone(),
            name: row.name.clone(),
            did,
            issuer: self.issuer_id(&row.slug),
            admin_token,
        })
    }

    /// Changes how an institution presents itself. The issuer metadata and credentials issued
    /// from now on carry the new name, web site and logo; credentials already issued keep what
    /// was signed into them. The DID and keys do not change.
    pub fn update_institution_display(
        &self,
        slug: &str,
        display: InstitutionDisplay,
    ) -> Result<Value, AdminError> {
        if !valid_slug(slug) {
            return Err(AdminError::NotFound("institution"));
        }
        let before = self
            .repo::<InstitutionRow>()
            .load(slug.as_bytes())?
            .ok_or(AdminError::NotFound("institution"))?;
        let mut row = InstitutionRow::clone(&before);
        let (name, url, logo) = checked_display(&display.name, display.url, display.logo)?;
        row.name = name;
        row.url = url;
        row.logo = logo;
        let mut batch = WriteBatch::new();
        batch.require_unchanged::<InstitutionRow>(row.key(), &before);
        batch.put(&row)?;
        if self.store().apply_checked(batch)?.is_err() {
            return Err(AdminError::Conflict(
                "the institution changed at the same time; try again".into(),
            ));
        }
        self.store().flush()?;
        {
            let mut cache = self
                .issuers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cache.remove(slug);
        }
        tracing::info!(slug = %row.slug, "institution display changed");
        Ok(json!({
            "slug": row.slug,
            "name": row.name,
            "url": row.url,
            "logo": row.logo,
            "did": row.did,
            "issuer": self.issuer_id(&row.slug),
        }))
    }

    /// A new admin token for an existing institution.
    pub fn mint_admin_token(&self, slug: &str) -> Result<String, AdminError> {
        let (token, row) = self.new_admin_token(slug, "", None);
        self.repo::<AdminTokenRow>().put(&row)?;
        Ok(token)
    }

    pub(super) fn did_web(&self, slug: &str) -> Result<String, AdminError> {
        let url = url::Url::parse(&self.issuer_id(slug))
            .map_err(|e| AdminError::Invalid(format!("public URL: {e}")))?;
        let did = rosette_did::did_web::did_web_from_url(&url)
            .map_err(|e| AdminError::Invalid(format!("did:web: {e}")))?;
        Ok(did.as_str().to_owned())
    }

    /// A page of the institutions, by slug.
    pub fn list_institutions(&self, page: &PageRequest) -> Result<Page, AdminError> {
        self.page_of::<InstitutionRow>("", page, |_| true, |r| self.institution_json(r))
    }

    pub(super) fn institution_json(&self, r: &InstitutionRow) -> Value {
        json!({"slug": r.slug, "name": r.name, "url": r.url, "logo": r.logo, "did_method": r.did_method, "did": r.did, "issuer": self.issuer_id(&r.slug)})
    }

    /// The did:web document of a did:web institution.
    pub fn did_document(&self, slug: &str) -> Result<Value, ProtocolError> {
        let inst = self.institution(slug)?.ok_or(ProtocolError::NotFound)?;
        if inst.did_method != DidMethod::Web {
            return Err(ProtocolError::NotFound);
        }
        let signer = self.signer(&inst)?;
        let did = rosette_did::Did::parse(&inst.did)
            .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
        Ok(rosette_did::did_web::did_web_document(
            &did,
            std::slice::from_ref(signer.key().public_key()),
        ))
    }
}

/// An institution's name, web site and logo as every write path must store them (create and
/// update alike): a display name without hidden characters, an http(s) site, an https or
/// embedded-image logo. Empty optional values are absent.
fn checked_display(
    name: &str,
    url: Option<String>,
    logo: Option<String>,
) -> Result<(String, Option<String>, Option<String>), AdminError> {
    use rosette_core::text;
    let name =
        text::display_name(name, 200).map_err(|e| AdminError::Invalid(format!("name {e}")))?;
    let url = url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .map(|u| text::web_url(&u))
        .transpose()
        .map_err(|e| AdminError::Invalid(format!("url {e}")))?;
    let logo = logo.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
    if let Some(logo) = &logo {
        let data_image =
            logo.starts_with("data:image/") && logo.contains(";base64,") && logo.len() <= 350_000;
        let https = text::web_url(logo).is_ok_and(|u| u.starts_with("https://"));
        if !(data_image || https) {
            return Err(AdminError::Invalid(
                "logo must be an https:// URL or a data:image/…;base64, URI of at most 256 KiB"
                    .into(),
            ));
        }
    }
    Ok((name, url, logo))
}
