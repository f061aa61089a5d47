//! Achievements: definitions checked to make a valid Open Badges 3.0 credential, and the
//! unsigned credential an offer's achievement becomes.

use rosette_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::records::AchievementRow;
use super::service::IssuerService;
use crate::directory::records::scoped_key;
use crate::error::AdminError;

/// Achievement criteria.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Criteria {
    /// Narrative (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    /// Criteria URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `POST/PUT …/admin/achievements` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Criteria.
    pub criteria: Criteria,
    /// Image URL (or `data:` URI).
    #[serde(default)]
    pub image: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// OB Alignment objects.
    #[serde(default)]
    pub alignment: Vec<Value>,
    /// OB ResultDescription objects.
    #[serde(default)]
    pub result_descriptions: Vec<Value>,
    /// OB achievementType.
    #[serde(default)]
    pub achievement_type: Option<String>,
    /// Credential validity in days (validUntil); none: no expiry.
    #[serde(default)]
    pub validity_days: Option<u32>,
}

/// Longest validity: 100 years.
pub const MAX_VALIDITY_DAYS: u32 = 36_500;

impl AchievementInput {
    /// The input as every write path (API, console) must store it: the name without hidden
    /// characters, web links http(s) only (criteria page, alignment targets, image, unless an
    /// embedded image), the validity within 1..=36,500 days.
    fn checked(mut self) -> Result<Self, AdminError> {
        use rosette_core::text;
        let invalid =
            |field: &str, e: &dyn std::fmt::Display| AdminError::Invalid(format!("{field} {e}"));
        self.name = text::display_name(&self.name, 200).map_err(|e| invalid("name", &e))?;
        if let Some(days) = self.validity_days
            && !(1..=MAX_VALIDITY_DAYS).contains(&days)
        {
            return Err(AdminError::Invalid(format!(
                "validity_days must be between 1 and {MAX_VALIDITY_DAYS} (got {days})"
            )));
        }
        self.criteria.id = match self.criteria.id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(text::web_url(url).map_err(|e| invalid("criteria.id", &e))?),
        };
        self.image = match self.image.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(image) => Some(text::image_ref(image).map_err(|e| invalid("image", &e))?),
        };
        for (i, alignment) in self.alignment.iter_mut().enumerate() {
            let Some(object) = alignment.as_object_mut() else {
                continue;
            };
            for (field, url) in [("targetUrl", true), ("targetName", false)] {
                let Some(value) = object.get(field).and_then(Value::as_str) else {
                    continue;
                };
                let checked = if url {
                    text::web_url(value)
                        .map_err(|e| invalid(&format!("alignment[{i}].{field}"), &e))?
                } else {
                    text::display_name(value, 500)
                        .map_err(|e| invalid(&format!("alignment[{i}].{field}"), &e))?
                };
                object.insert(field.to_owned(), Value::String(checked));
            }
        }
        Ok(self)
    }
}

impl IssuerService {
    // ---------------------------------------------------------------- achievements

    /// Creates an achievement after checking it makes a valid OB 3.0 credential.
    pub fn create_achievement(
        &self,
        slug: &str,
        input: AchievementInput,
    ) -> Result<Value, AdminError> {
        let input = input.checked()?;
        let now = self.now().unix();
        let row = AchievementRow {
            slug: slug.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            name: input.name,
            description: input.description,
            criteria: serde_json::to_value(input.criteria)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
            image: input.image,
            tags: input.tags,
            alignment: input.alignment,
            result_descriptions: input.result_descriptions,
            achievement_type: input.achievement_type,
            validity_days: input.validity_days,
            archived: false,
            created_at: now,
            updated_at: now,
        };
        self.check_achievement(&row)?;
        self.repo::<AchievementRow>().put(&row)?;
        Ok(self.achievement_json(&row))
    }

    /// Replaces an achievement's definition.
    pub fn update_achievement(
        &self,
        slug: &str,
        id: &str,
        input: AchievementInput,
    ) -> Result<Value, AdminError> {
        let input = input.checked()?;
        let repo = self.repo::<AchievementRow>();
        let key = scoped_key(slug, id);
        let old = repo.get(&key)?.ok_or(AdminError::NotFound("achievement"))?;
        let row = AchievementRow {
            name: input.name,
            description: input.description,
            criteria: serde_json::to_value(input.criteria)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
            image: input.image,
            tags: input.tags,
            alignment: input.alignment,
            result_descriptions: input.result_descriptions,
            achievement_type: input.achievement_type,
            validity_days: input.validity_days,
            updated_at: self.now().unix(),
            ..old
        };
        self.check_achievement(&row)?;
        repo.put(&row)?;
        Ok(self.achievement_json(&row))
    }

    /// Archives an achievement: no new offers.
    pub fn archive_achievement(&self, slug: &str, id: &str) -> Result<Value, AdminError> {
        let now = self.now().unix();
        let updated = self
            .repo::<AchievementRow>()
            .update(&scoped_key(slug, id), |row| {
                row.map(|mut r| {
                    r.archived = true;
                    r.updated_at = now;
                    r
                })
            })?;
        let row = updated.ok_or(AdminError::NotFound("achievement"))?;
        Ok(self.achievement_json(&row))
    }

    /// An institution's achievements.
    pub fn list_achievements(&self, slug: &str) -> Result<Vec<Value>, AdminError> {
        let prefix = format!("{slug}/");
        let rows = self.repo::<AchievementRow>().scan(
            prefix.as_bytes(),
            None,
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        Ok(rows.iter().map(|(_, r)| self.achievement_json(r)).collect())
    }

    pub(super) fn achievement_url(&self, slug: &str, id: &str) -> String {
        format!("{}/achievements/{id}", self.issuer_id(slug))
    }

    pub(super) fn achievement_json(&self, r: &AchievementRow) -> Value {
        json!({
            "id": r.id,
            "url": self.achievement_url(&r.slug, &r.id),
            "name": r.name,
            "description": r.description,
            "criteria": r.criteria,
            "image": r.image,
            "tags": r.tags,
            "alignment": r.alignment,
            "result_descriptions": r.result_descriptions,
            "achievement_type": r.achievement_type,
            "validity_days": r.validity_days,
            "archived": r.archived,
        })
    }

    /// The OB 3.0 Achievement object.
    pub(super) fn achievement_object(&self, r: &AchievementRow) -> Value {
        let mut a = serde_json::Map::new();
        a.insert("id".into(), json!(self.achievement_url(&r.slug, &r.id)));
        a.insert("type".into(), json!(["Achievement"]));
        a.insert("name".into(), json!(r.name));
        a.insert("description".into(), json!(r.description));
        a.insert("criteria".into(), r.criteria.clone());
        if let Some(image) = &r.image {
            a.insert("image".into(), json!({"id": image, "type": "Image"}));
        }
        if !r.tags.is_empty() {
            a.insert("tag".into(), json!(r.tags));
        }
        if !r.alignment.is_empty() {
            a.insert("alignment".into(), json!(r.alignment));
        }
        if !r.result_descriptions.is_empty() {
            a.insert("resultDescription".into(), json!(r.result_descriptions));
        }
        if let Some(t) = &r.achievement_type {
            a.insert("achievementType".into(), json!(t));
        }
        Value::Object(a)
    }

    pub(super) fn check_achievement(&self, row: &AchievementRow) -> Result<(), AdminError> {
        if row.name.trim().is_empty() {
            return Err(AdminError::Invalid("name must not be empty".into()));
        }
        let sample = self.unsigned_credential(
            row,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "Sample",
            None,
            "salt",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "Sample issuer",
            None,
            self.now(),
        );
        rosette_openbadges::prepare_for_issuance(
            sample,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            &self.now().to_rfc3339(),
            || uuid::Uuid::new_v4().to_string(),
            rosette_openbadges::SchemaVariant::Strict,
        )
        .map(drop)
        .map_err(|e| match e {
            rosette_openbadges::IssuanceError::Invalid(violations) => AdminError::Invalid(format!(
                "the achievement does not make a valid Open Badges 3.0 credential: {}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            other => AdminError::Invalid(other.to_string()),
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn unsigned_credential(
        &self,
        achievement: &AchievementRow,
        subject_did: &str,
        recipient_name: &str,
        email_hash: Option<&str>,
        email_salt: &str,
        issuer_did: &str,
        issuer_name: &str,
        issuer_url: Option<&str>,
        now: Timestamp,
    ) -> Value {
        let mut identifiers = vec![json!({
            "type": "IdentityObject",
            "hashed": false,
            "identityHash": recipient_name,
            "identityType": "name",
        })];
        if let Some(hash) = email_hash {
            identifiers.push(json!({
                "type": "IdentityObject",
                "hashed": true,
                "identityHash": hash,
                "identityType": "emailAddress",
                "salt": email_salt,
            }));
        }
        let mut issuer = json!({"id": issuer_did, "type": ["Profile"], "name": issuer_name});
        if let (Some(url), Some(obj)) = (issuer_url, issuer.as_object_mut()) {
            obj.insert("url".into(), json!(url));
        }
        let mut credential = json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": achievement.name,
            "issuer": issuer,
            "validFrom": now.to_rfc3339(),
            "credentialSubject": {
                "id": subject_did,
                "type": ["AchievementSubject"],
                "identifier": identifiers,
                "achievement": self.achievement_object(achievement),
            },
            "credentialSchema": [{
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019"
            }]
        });
        if let (Some(days), Some(obj)) = (achievement.validity_days, credential.as_object_mut()) {
            obj.insert(
                "validUntil".into(),
                json!(now.plus_seconds(i64::from(days) * 86_400).to_rfc3339()),
            );
        }
        credential
    }
}
