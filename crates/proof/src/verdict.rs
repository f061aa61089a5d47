//! A verification verdict: which checks ran, which passed, why one failed. Never just a bool.

use serde::Serialize;

/// One check a verifier runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckName {
    /// The input is a credential we can read (JSON or JWT, a known VC version).
    Format,
    /// The `@context` values are known and bundled.
    Context,
    /// 1EdTech JSON Schema and the OB 3.0 rules the schema cannot express.
    Schema,
    /// The proof or JWS signature.
    Proof,
    /// The signing key belongs to the issuer (verification method controller = issuer).
    IssuerKey,
    /// `validFrom` / `validUntil` against the verifier's clock.
    ValidityWindow,
    /// Revocation / suspension status.
    Status,
    /// A presentation's binding: nonce/challenge, audience/domain, holder = subject.
    Binding,
}

impl CheckName {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::Context => "contexts",
            Self::Schema => "schema",
            Self::Proof => "proof",
            Self::IssuerKey => "issuer key",
            Self::ValidityWindow => "validity window",
            Self::Status => "status",
            Self::Binding => "binding",
        }
    }
}

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It ran and passed.
    Passed,
    /// It ran and found something worth telling but not fatal.
    Warning,
    /// It ran and failed: the credential must not be accepted.
    Failed,
    /// It did not apply or could not run; `detail` says why.
    Skipped,
}

/// The result of one check.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// How it ended.
    pub outcome: Outcome,
    /// What it found, for people.
    pub detail: String,
}

/// Everything a verifier concluded about one credential or presentation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verdict {
    /// `ldp_vc`, `jwt_vc_json`, … when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The credential `id`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// The issuer's identifier, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The issuer's display name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_name: Option<String>,
    /// The credential subject's `id`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The achievement's name, for Open Badges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achievement: Option<String>,
    /// Every check, in the order it ran.
    pub checks: Vec<Check>,
}

impl Verdict {
    /// True when no check failed. Warnings and skipped checks do not make a verdict invalid.
    pub fn is_valid(&self) -> bool {
        !self.checks.iter().any(|c| c.outcome == Outcome::Failed)
    }

    /// The first failed check, if any.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.outcome == Outcome::Failed)
    }

    /// The outcome of `name`, if it ran.
    pub fn outcome(&self, name: CheckName) -> Option<Outcome> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.outcome)
    }

    pub(crate) fn push(&mut self, name: CheckName, outcome: Outcome, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            outcome,
            detail: detail.into(),
        });
    }

    pub(crate) fn pass(&mut self, name: CheckName, detail: impl Into<String>) {
        self.push(name, Outcome::Passed, detail);
    }

    pub(crate) fn fail(&mut self, name: CheckName, detail: impl Into<String>) {
        self.push(name, Outcome::Failed, detail);
    }
}
