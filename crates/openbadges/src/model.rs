//! Typed Open Badges 3.0 data model (OB 3.0 App. B.1; VC Data Model 2.0 and 1.1).
//!
//! Every struct keeps properties it does not know in `extra`, so nothing is lost when a
//! credential from another issuer is read and written back. Optional properties are
//! omitted when absent or empty.

use crate::context::{self, VcVersion};
use crate::datetime::DateTimeStamp;
use crate::one_or_many::OneOrMany;
use crate::vocab::{AchievementType, AlignmentTargetType, IdentityType, ResultStatus, ResultType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// Extension properties: every property the model does not name, in input order.
pub type Extra = Map<String, Value>;

/// One `@context` entry: an IRI or an inline context object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContextEntry {
    /// A context IRI such as `https://www.w3.org/ns/credentials/v2`.
    Iri(String),
    /// An embedded context definition.
    Inline(Map<String, Value>),
}

impl ContextEntry {
    /// The IRI, when this entry is one.
    pub fn as_iri(&self) -> Option<&str> {
        match self {
            Self::Iri(s) => Some(s),
            Self::Inline(_) => None,
        }
    }
}

/// A Profile given inline or by its IRI (`issuer`, `creator`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProfileRef {
    /// Only the profile's IRI (URL or DID).
    Iri(String),
    /// The embedded Profile.
    Profile(Box<Profile>),
}

impl ProfileRef {
    /// The profile's `id`.
    pub fn id(&self) -> &str {
        match self {
            Self::Iri(s) => s,
            Self::Profile(p) => &p.id,
        }
    }

    /// The embedded profile's `name`, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Iri(_) => None,
            Self::Profile(p) => p.name.as_deref(),
        }
    }
}

/// `AchievementCredential` (OB 3.0 B.1.2), also known as `OpenBadgeCredential`.
///
/// Reads both VC 2.0 (`validFrom`/`validUntil`) and VC 1.1 (`issuanceDate`/
/// `expirationDate`) credentials; use [`valid_from`](Self::valid_from) and
/// [`valid_until`](Self::valid_until) to get the dates of either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AchievementCredential {
    /// REQUIRED. VC 2.0 context first, then the OB 3.0 context.
    #[serde(rename = "@context")]
    pub context: OneOrMany<ContextEntry>,
    /// REQUIRED. Unambiguous URI of the credential (e.g. `urn:uuid:…`).
    pub id: String,
    /// REQUIRED. ∋ `VerifiableCredential` and `AchievementCredential` or `OpenBadgeCredential`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL (REQUIRED in the VC 1.1 form). Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// OPTIONAL. Display description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OPTIONAL. Display image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// OPTIONAL. Original award date, kept across re-issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awarded_date: Option<DateTimeStamp>,
    /// REQUIRED. The issuing Profile (or its IRI).
    pub issuer: ProfileRef,
    /// REQUIRED in VC 2.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTimeStamp>,
    /// OPTIONAL (VC 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTimeStamp>,
    /// VC 1.1 only: issuance date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuance_date: Option<DateTimeStamp>,
    /// VC 1.1 only: expiry date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<DateTimeStamp>,
    /// REQUIRED. The recipient and the achievement.
    pub credential_subject: AchievementSubject,
    /// OPTIONAL. Evidence of the achievement.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub evidence: OneOrMany<Evidence>,
    /// OPTIONAL. Embedded endorsements.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub endorsement: OneOrMany<EndorsementCredential>,
    /// OPTIONAL. Endorsements as compact JWS strings.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub endorsement_jwt: OneOrMany<String>,
    /// OPTIONAL. Schemas the credential claims to conform to.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub credential_schema: OneOrMany<CredentialSchema>,
    /// OPTIONAL, at most one object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_status: Option<CredentialStatus>,
    /// OPTIONAL. Where to fetch a refreshed credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_service: Option<RefreshService>,
    /// OPTIONAL. Terms of use.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub terms_of_use: OneOrMany<TermsOfUse>,
    /// OPTIONAL (absent for an unsigned credential or a VC-JWT). Embedded proofs.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub proof: OneOrMany<Proof>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `OpenBadgeCredential` is the same class as `AchievementCredential` (OB 3.0 B.1.2).
pub type OpenBadgeCredential = AchievementCredential;

impl AchievementCredential {
    /// The VC data model version, from the first `@context` entry.
    pub fn vc_version(&self) -> Option<VcVersion> {
        vc_version_of(&self.context)
    }

    /// `validFrom` (VC 2.0) or `issuanceDate` (VC 1.1).
    pub fn valid_from(&self) -> Option<&DateTimeStamp> {
        self.valid_from.as_ref().or(self.issuance_date.as_ref())
    }

    /// `validUntil` (VC 2.0) or `expirationDate` (VC 1.1).
    pub fn valid_until(&self) -> Option<&DateTimeStamp> {
        self.valid_until.as_ref().or(self.expiration_date.as_ref())
    }

    /// The JSON value of this credential.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

fn vc_version_of(contexts: &OneOrMany<ContextEntry>) -> Option<VcVersion> {
    match contexts.first().and_then(ContextEntry::as_iri) {
        Some(context::VC_V2_CONTEXT) => Some(VcVersion::V2_0),
        Some(context::VC_V1_CONTEXT) => Some(VcVersion::V1_1),
        _ => None,
    }
}

/// `AchievementSubject` (OB 3.0 B.1.3): the recipient and what they achieved.
///
/// At least one of `id` and `identifier` is required (checked by validation, §9.1 step 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AchievementSubject {
    /// OPTIONAL. The recipient's IRI, typically a DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED. ∋ `AchievementSubject`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_start_date: Option<DateTimeStamp>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_end_date: Option<DateTimeStamp>,
    /// OPTIONAL. Credits earned (number kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits_earned: Option<Number>,
    /// REQUIRED. The achievement awarded.
    pub achievement: Box<Achievement>,
    /// OPTIONAL. Other identities of the recipient (e.g. a hashed e-mail).
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub identifier: OneOrMany<IdentityObject>,
    /// OPTIONAL. Image of this award (e.g. the baked badge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_number: Option<String>,
    /// OPTIONAL. Markdown narrative of how it was achieved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    /// OPTIONAL. Results, each pointing at a ResultDescription of the achievement.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub result: OneOrMany<AchievementResult>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// OPTIONAL. The Profile that assessed the achievement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Box<Profile>>,
    /// OPTIONAL. Academic term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Achievement` (OB 3.0 B.1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Achievement {
    /// REQUIRED. URI of the achievement.
    pub id: String,
    /// REQUIRED. ∋ `Achievement`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achievement_type: Option<AchievementType>,
    /// OPTIONAL. Alignments to frameworks.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub alignment: OneOrMany<Alignment>,
    /// OPTIONAL. Its creator; if absent, the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<ProfileRef>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits_available: Option<Number>,
    /// REQUIRED. How it is earned.
    pub criteria: Criteria,
    /// REQUIRED.
    pub description: String,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub endorsement: OneOrMany<EndorsementCredential>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub endorsement_jwt: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_of_study: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human_code: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// OPTIONAL. BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_language: Option<String>,
    /// REQUIRED.
    pub name: String,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub other_identifier: OneOrMany<IdentifierEntry>,
    /// OPTIONAL. Translations, versions, the OB 2.0 BadgeClass.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub related: OneOrMany<Related>,
    /// OPTIONAL. Ordered descriptions of possible results.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub result_description: OneOrMany<ResultDescription>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialization: Option<String>,
    /// OPTIONAL. Keywords.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub tag: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Criteria` (OB 3.0 B.1.1): supply `id`, `narrative` or both.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criteria {
    /// OPTIONAL. URI of a page describing the criteria.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// OPTIONAL. Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Image` (OB 3.0 B.1.x): `{id, type: "Image", caption?}`; a bare string is not valid in 3.0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// REQUIRED. URL or `data:` URI (PNG or SVG).
    pub id: String,
    /// REQUIRED. `Image`.
    #[serde(rename = "type")]
    pub kind: String,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Extension properties (the strict schema forbids them on Image).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Image {
    /// An image with type `Image`.
    pub fn new(id: impl Into<String>, caption: Option<String>) -> Self {
        Self {
            id: id.into(),
            kind: "Image".into(),
            caption,
            extra: Extra::new(),
        }
    }
}

/// `Alignment` (OB 3.0 B.1.1): a link to a competency framework item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alignment {
    /// REQUIRED. ∋ `Alignment`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_code: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_description: Option<String>,
    /// REQUIRED.
    pub target_name: String,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_framework: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<AlignmentTargetType>,
    /// REQUIRED.
    pub target_url: String,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ResultDescription` (OB 3.0 B.1.1): a possible result of the achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultDescription {
    /// REQUIRED. Referenced by `Result.resultDescription`.
    pub id: String,
    /// REQUIRED. ∋ `ResultDescription`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub alignment: OneOrMany<Alignment>,
    /// OPTIONAL. Ordered list of allowed values, low to high.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub allowed_value: OneOrMany<String>,
    /// REQUIRED.
    pub name: String,
    /// OPTIONAL. Id of the RubricCriterionLevel required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_level: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_value: Option<String>,
    /// REQUIRED.
    pub result_type: ResultType,
    /// OPTIONAL. Ordered rubric levels.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub rubric_criterion_level: OneOrMany<RubricCriterionLevel>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_max: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_min: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `RubricCriterionLevel` (OB 3.0 B.1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RubricCriterionLevel {
    /// REQUIRED.
    pub id: String,
    /// REQUIRED. ∋ `RubricCriterionLevel`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub alignment: OneOrMany<Alignment>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// REQUIRED.
    pub name: String,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The OB `Result` class (OB 3.0 B.1.3), named so that it does not shadow `std::result::Result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AchievementResult {
    /// REQUIRED. ∋ `Result`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL. Id of a RubricCriterionLevel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved_level: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub alignment: OneOrMany<Alignment>,
    /// OPTIONAL. Id of a ResultDescription in the same achievement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_description: Option<String>,
    /// OPTIONAL; REQUIRED when the described resultType is `Status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ResultStatus>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Related` (OB 3.0 B.1.1): a translation, version or OB 2.0 BadgeClass of the achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Related {
    /// REQUIRED.
    pub id: String,
    /// REQUIRED. ∋ `Related`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_language: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `IdentifierEntry` (OB 3.0 B.1.x): an identifier of a Profile or Achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentifierEntry {
    /// REQUIRED. `IdentifierEntry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// REQUIRED.
    pub identifier: String,
    /// REQUIRED.
    pub identifier_type: IdentityType,
    /// Extension properties (the strict schema forbids them here).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Evidence` (OB 3.0 B.1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// OPTIONAL. URL or data URI of the evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED. ∋ `Evidence`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL. Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genre: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Profile` (OB 3.0 B.1.4): an issuer, creator, source or endorser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// REQUIRED. HTTPS URL or DID.
    pub id: String,
    /// REQUIRED. ∋ `Profile`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL, but displayers must show it: always send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub endorsement: OneOrMany<EndorsementCredential>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub endorsement_jwt: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// OPTIONAL. Postal address (kept as JSON: `type`, `streetAddress`, `geo`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Map<String, Value>>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub other_identifier: OneOrMany<IdentifierEntry>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_org: Option<Box<Profile>>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_name: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patronymic_name: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name_prefix: Option<String>,
    /// OPTIONAL. A date (`YYYY-MM-DD`), kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Profile {
    /// A profile with type `Profile`, its `id` and `name`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            types: OneOrMany::one("Profile".into()),
            name: Some(name.into()),
            url: None,
            phone: None,
            description: None,
            endorsement: OneOrMany::default(),
            endorsement_jwt: OneOrMany::default(),
            image: None,
            email: None,
            address: None,
            other_identifier: OneOrMany::default(),
            official: None,
            parent_org: None,
            family_name: None,
            given_name: None,
            additional_name: None,
            patronymic_name: None,
            honorific_prefix: None,
            honorific_suffix: None,
            family_name_prefix: None,
            date_of_birth: None,
            extra: Extra::new(),
        }
    }
}

/// `EndorsementCredential` (OB 3.0 B.1.5): a third party's claim about a credential,
/// achievement or profile; verified on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndorsementCredential {
    /// REQUIRED. Same rule as for AchievementCredential.
    #[serde(rename = "@context")]
    pub context: OneOrMany<ContextEntry>,
    /// REQUIRED.
    pub id: String,
    /// REQUIRED. ∋ `VerifiableCredential` and `EndorsementCredential`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// REQUIRED.
    pub name: String,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// REQUIRED.
    pub issuer: ProfileRef,
    /// REQUIRED in VC 2.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTimeStamp>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTimeStamp>,
    /// VC 1.1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuance_date: Option<DateTimeStamp>,
    /// VC 1.1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<DateTimeStamp>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awarded_date: Option<DateTimeStamp>,
    /// REQUIRED.
    pub credential_subject: EndorsementSubject,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub credential_schema: OneOrMany<CredentialSchema>,
    /// OPTIONAL, at most one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_status: Option<CredentialStatus>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_service: Option<RefreshService>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub terms_of_use: OneOrMany<TermsOfUse>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub evidence: OneOrMany<Evidence>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "OneOrMany::is_empty")]
    pub proof: OneOrMany<Proof>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EndorsementCredential {
    /// The VC data model version, from the first `@context` entry.
    pub fn vc_version(&self) -> Option<VcVersion> {
        vc_version_of(&self.context)
    }

    /// `validFrom` (VC 2.0) or `issuanceDate` (VC 1.1).
    pub fn valid_from(&self) -> Option<&DateTimeStamp> {
        self.valid_from.as_ref().or(self.issuance_date.as_ref())
    }

    /// `validUntil` (VC 2.0) or `expirationDate` (VC 1.1).
    pub fn valid_until(&self) -> Option<&DateTimeStamp> {
        self.valid_until.as_ref().or(self.expiration_date.as_ref())
    }
}

/// `EndorsementSubject` (OB 3.0 B.1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndorsementSubject {
    /// REQUIRED. The endorsed entity.
    pub id: String,
    /// REQUIRED. ∋ `EndorsementSubject`.
    #[serde(rename = "type")]
    pub types: OneOrMany<String>,
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement_comment: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `IdentityObject` (OB 3.0 B.1.3): a (possibly hashed) identity of the recipient.
///
/// See [`IdentityObject::hashed_email`] and [`IdentityObject::matches`] in `identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityObject {
    /// REQUIRED. `IdentityObject`.
    #[serde(rename = "type")]
    pub kind: String,
    /// REQUIRED. Whether `identity_hash` is hashed.
    pub hashed: bool,
    /// REQUIRED. `sha256$<hex>`/`md5$<hex>` when hashed, else the plaintext identity.
    pub identity_hash: String,
    /// REQUIRED.
    pub identity_type: IdentityType,
    /// OPTIONAL. Appended to the identity before hashing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// Extension properties (the strict schema forbids them here).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A status list index, given as a string (Bitstring Status List) or, in some
/// credentials, as a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StatusListIndex {
    /// The spec form: a decimal string.
    Text(String),
    /// A JSON number, kept verbatim.
    Number(Number),
}

impl StatusListIndex {
    /// The index as an integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Text(s) => s.parse().ok(),
            Self::Number(n) => n.as_u64(),
        }
    }
}

/// The status method named by `CredentialStatus.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusMethod {
    /// W3C `BitstringStatusListEntry`.
    BitstringStatusList,
    /// `1EdTechRevocationList` (VCRL 1.0).
    RevocationList1EdTech,
    /// Anything else.
    Other,
}

/// `CredentialStatus`: one object (OB allows at most one). Carries the Bitstring Status
/// List entry fields; a `1EdTechRevocationList` status uses only `id` and `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialStatus {
    /// The status entry or revocation-list URL (REQUIRED by the strict schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED. e.g. `BitstringStatusListEntry`, `1EdTechRevocationList`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Bitstring: `revocation`, `suspension`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_purpose: Option<String>,
    /// Bitstring: bit index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list_index: Option<StatusListIndex>,
    /// Bitstring: URL of the `BitstringStatusListCredential`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list_credential: Option<String>,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CredentialStatus {
    /// Which status method this is.
    pub fn method(&self) -> StatusMethod {
        match self.kind.as_str() {
            "BitstringStatusListEntry" => StatusMethod::BitstringStatusList,
            context::REVOCATION_LIST_TYPE => StatusMethod::RevocationList1EdTech,
            _ => StatusMethod::Other,
        }
    }
}

/// `CredentialSchema`: `{id, type}`, e.g. the 1EdTech schema with `1EdTechJsonSchemaValidator2019`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialSchema {
    /// REQUIRED. Schema URL.
    pub id: String,
    /// REQUIRED. Validator type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `RefreshService`: `{id, type: 1EdTechCredentialRefresh}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshService {
    /// REQUIRED. Endpoint URL.
    pub id: String,
    /// REQUIRED.
    #[serde(rename = "type")]
    pub kind: String,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `TermsOfUse`: `{type, id?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermsOfUse {
    /// OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED.
    #[serde(rename = "type")]
    pub kind: String,
    /// Extension properties.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An embedded proof. Only carried here; the proof crate checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// REQUIRED. e.g. `DataIntegrityProof`.
    #[serde(rename = "type")]
    pub kind: String,
    /// e.g. `eddsa-rdfc-2022`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptosuite: Option<String>,
    /// Creation time, kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Verification method URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_method: Option<String>,
    /// e.g. `assertionMethod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_purpose: Option<String>,
    /// Multibase signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_value: Option<String>,
    /// Other proof properties (challenge, domain, nonce, jws, …).
    #[serde(flatten)]
    pub extra: Extra,
}
