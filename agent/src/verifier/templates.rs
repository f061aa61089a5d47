//! Verifier templates: what an institution asks holders to present (the fields a presentation
//! request is made from), stored per institution under a name so staff pick one instead of
//! typing DIDs. A template is immutable once stored (delete and create again to change it);
//! its row carries the record-format version (`Record::VERSION`) for later migrations.

use rosette_core::Timestamp;
use rosette_storage::{Record, Table, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::service::{
    CreatedPresentationRequest, MAX_REQUEST_LIFETIME, NewPresentationRequest, RequestMode,
    VerifierService,
};
use crate::directory::records::scoped_key;
use crate::error::AdminError;

/// Longest template name.
pub const MAX_NAME_LEN: usize = 120;
/// Templates one institution may keep.
pub const MAX_TEMPLATES: usize = 200;

/// `POST /verifiers/{slug}/admin/templates` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    /// What staff see in the list, e.g. "Rust Practitioner from Acme".
    pub name: String,
    /// Only badges for this achievement (an id of ours, or the achievement's URL).
    #[serde(default)]
    pub achievement_id: Option<String>,
    /// Only badges for an achievement of this name.
    #[serde(default)]
    pub achievement_name: Option<String>,
    /// Trusted issuer DIDs; empty: any issuer.
    #[serde(default)]
    pub trusted_issuers: Vec<String>,
    /// `ldp_vc` and / or `jwt_vc_json`; empty: both.
    #[serde(default)]
    pub formats: Vec<String>,
    /// How requests reach the wallet (default `signed`).
    #[serde(default)]
    pub mode: Option<RequestMode>,
    /// Lifetime of each request in seconds (default 600).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

/// A stored template.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierTemplate {
    /// The template's id.
    pub id: String,
    /// The institution it belongs to.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Achievement id or URL filter.
    pub achievement_id: Option<String>,
    /// Achievement name filter.
    pub achievement_name: Option<String>,
    /// Trusted issuer DIDs; empty: any issuer.
    pub trusted_issuers: Vec<String>,
    /// Formats asked for; empty: both.
    pub formats: Vec<String>,
    /// Delivery mode.
    pub mode: RequestMode,
    /// Request lifetime in seconds; none: the default.
    pub expires_in_seconds: Option<u64>,
    /// Creation time (unix seconds).
    pub created_at: i64,
}

/// The storage row: the template and the slug it is keyed under.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TemplateRow {
    slug: String,
    template: VerifierTemplate,
}

impl Record for TemplateRow {
    const TABLE: Table = Table::new("vp_templates");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.template.id)
    }
}

impl VerifierTemplate {
    /// The presentation request this template stands for.
    pub fn request(&self) -> NewPresentationRequest {
        NewPresentationRequest {
            achievement_id: self.achievement_id.clone(),
            achievement_name: self.achievement_name.clone(),
            trusted_issuers: self.trusted_issuers.clone(),
            formats: self.formats.clone(),
            mode: Some(self.mode),
            expires_in_seconds: self.expires_in_seconds,
        }
    }

    /// The template as the admin API and console show it.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("slug");
            o.insert(
                "created_at".into(),
                Timestamp::from_unix(self.created_at)
                    .map(Timestamp::to_rfc3339)
                    .into(),
            );
            o.insert("version".into(), TemplateRow::VERSION.into());
        }
        v
    }
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl VerifierService {
    /// Stores a template for `slug` (the caller is already authorized), after the checks a
    /// presentation request made from it would pass.
    pub fn create_template(
        &self,
        slug: &str,
        input: NewTemplate,
    ) -> Result<VerifierTemplate, AdminError> {
        let name = rosette_core::text::display_name(&input.name, MAX_NAME_LEN)
            .map_err(|e| AdminError::Invalid(format!("name {e}")))?;
        let mut formats = Vec::new();
        for format in input.formats {
            if !rosette_oid4vp::dcql::SUPPORTED_FORMATS.contains(&format.as_str()) {
                return Err(AdminError::Invalid(format!(
                    "format {format} is not supported (ldp_vc, jwt_vc_json)"
                )));
            }
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        let trusted_issuers: Vec<String> = input
            .trusted_issuers
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        for issuer in &trusted_issuers {
            rosette_did::Did::parse(issuer).map_err(|_| {
                AdminError::Invalid(format!("trusted issuer {issuer} is not a DID"))
            })?;
        }
        if let Some(lifetime) = input.expires_in_seconds
            && (lifetime == 0 || lifetime > MAX_REQUEST_LIFETIME)
        {
            return Err(AdminError::Invalid(format!(
                "expires_in_seconds must be 1..={MAX_REQUEST_LIFETIME}"
            )));
        }
        let achievement_id = trimmed(input.achievement_id);
        // One of our own ids must exist now, not fail later at every request.
        if let Some(id) = achievement_id.as_deref().filter(|id| !id.contains(':')) {
            let known = self
                .issuer()
                .list_achievements(slug)?
                .iter()
                .any(|a| a.get("id").and_then(Value::as_str) == Some(id));
            if !known {
                return Err(AdminError::NotFound("achievement"));
            }
        }
        if self.list_templates(slug)?.len() >= MAX_TEMPLATES {
            return Err(AdminError::Conflict(format!(
                "an institution keeps at most {MAX_TEMPLATES} templates; delete one first"
            )));
        }
        let template = VerifierTemplate {
            id: uuid::Uuid::new_v4().to_string(),
            slug: slug.to_owned(),
            name,
            achievement_id,
            achievement_name: trimmed(input.achievement_name),
            trusted_issuers,
            formats,
            mode: input.mode.unwrap_or_default(),
            expires_in_seconds: input.expires_in_seconds,
            created_at: self.directory().clock().now().unix(),
        };
        let row = TemplateRow {
            slug: slug.to_owned(),
            template: template.clone(),
        };
        let mut batch = WriteBatch::new();
        batch.require_no_record::<TemplateRow>(row.key());
        batch.put(&row)?;
        self.directory().store().apply(batch)?;
        Ok(template)
    }

    /// The templates of `slug`, by name.
    pub fn list_templates(&self, slug: &str) -> Result<Vec<VerifierTemplate>, AdminError> {
        let rows = rosette_storage::Repo::<TemplateRow>::new(std::sync::Arc::clone(
            self.directory().store(),
        ))
        .scan(&scoped_key(slug, ""), None, rosette_storage::MAX_SCAN_LIMIT)?;
        let mut list: Vec<VerifierTemplate> = rows.into_iter().map(|(_, r)| r.template).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    /// Template `id` of `slug`; another institution's is "not found".
    pub fn template(&self, slug: &str, id: &str) -> Result<VerifierTemplate, AdminError> {
        rosette_storage::Repo::<TemplateRow>::new(std::sync::Arc::clone(self.directory().store()))
            .get(&scoped_key(slug, id))?
            .map(|r| r.template)
            .ok_or(AdminError::NotFound("template"))
    }

    /// Deletes template `id` of `slug` (requests made from it are unaffected).
    pub fn delete_template(&self, slug: &str, id: &str) -> Result<(), AdminError> {
        let removed = rosette_storage::Repo::<TemplateRow>::new(std::sync::Arc::clone(
            self.directory().store(),
        ))
        .remove(&scoped_key(slug, id))?;
        if removed {
            Ok(())
        } else {
            Err(AdminError::NotFound("template"))
        }
    }

    /// A new presentation request made from template `id` of `slug`.
    pub fn request_from_template(
        &self,
        slug: &str,
        id: &str,
    ) -> Result<CreatedPresentationRequest, AdminError> {
        let template = self.template(slug, id)?;
        self.create_request(slug, template.request())
    }
}
