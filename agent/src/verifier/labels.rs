//! The words people use: the one place that turns the ids of checks, formats, credential
//! configurations and request parts (`issuer_key`, `jwt_vc_json`, `badge_ldp_vc`,
//! `dcql_query`, …) into labels for the pages employers and staff read, and instants into dates.
//! The verdict fragment, the public badge page, `/verify` and the console's verifier pages all
//! read from here; ids stay in `data-` attributes and JSON, never in visible text.
//!
//! It sits in the verifier role (plain functions, no HTTP) so the verifier's verdict, the
//! public pages (a role above) and the console can all use it.

use rosette_proof::CheckName;
use serde_json::Value;

/// A check as people name it: what it makes sure of.
pub fn check(id: &str) -> &'static str {
    match id {
        "format" => "Readable credential",
        "context" | "contexts" => "Known vocabulary",
        "schema" => "Follows Open Badges 3.0",
        "proof" => "Signature matches the content",
        "issuer_key" => "Signed with the issuer's own key",
        "validity_window" => "Within its validity dates",
        "status" => "Not revoked or suspended",
        "binding" => "Presented by its holder, for this request",
        "trusted_issuer" => "Issuer is one you trust",
        "dcql_query" => "Matches what you asked for",
        "issuer" => "Issuer known to this site",
        _ => "Other check",
    }
}

/// [`check`] of a proof check.
pub fn check_name(name: CheckName) -> &'static str {
    check(&check_id(name))
}

/// The id of a proof check, as stored and as put in `data-check` attributes.
pub fn check_id(name: CheckName) -> String {
    serde_json::to_value(name)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Why a failed check matters, in one line (the headline of a failed verdict).
pub fn failure(id: &str) -> &'static str {
    match id {
        "format" => "this is not a credential that can be read",
        "context" | "contexts" => "it uses a vocabulary this site does not know",
        "schema" => "it does not follow the Open Badges 3.0 rules",
        "proof" => "the content was changed after it was signed, or the signature is not valid",
        "issuer_key" => "it was not signed with the named issuer's key",
        "validity_window" => "it is expired or not valid yet",
        "status" => "the issuer revoked or suspended it",
        "binding" => "it was not presented by its holder for this request",
        "trusted_issuer" => "its issuer is not one you trust",
        "dcql_query" => "it is not the badge you asked for",
        _ => "a check failed",
    }
}

/// Whether a failed check means the displayed content itself cannot be trusted (as opposed
/// to authentic content that is no longer valid: expired, revoked, wrong presenter).
pub fn breaks_content(id: &str) -> bool {
    matches!(
        id,
        "format" | "context" | "contexts" | "schema" | "proof" | "issuer_key"
    )
}

/// A credential format or issuer configuration id as people name it.
pub fn format(id: &str) -> String {
    let known = match id {
        "ldp_vc" | "badge_ldp_vc" => Some("Open Badge, Data Integrity proof"),
        "jwt_vc_json" | "badge_jwt_vc_json" => Some("Open Badge, signed JWT"),
        "ldp_vp" => Some("Data Integrity presentation"),
        "jwt_vp_json" => Some("signed JWT presentation"),
        _ => None,
    };
    match known {
        Some(label) => label.to_owned(),
        // An id of another issuer's configuration: its words, without the underscores.
        None => id.replace('_', " "),
    }
}

/// What a group of checks in a verdict was about: `presentation`, `request`, or a badge's name.
pub fn scope(id: &str) -> String {
    match id {
        "presentation" => "The presentation".to_owned(),
        "request" => "Your request".to_owned(),
        other => other.to_owned(),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The (year, month, day) of an RFC 3339 instant, as written (no time zone shift).
fn ymd(rfc3339: &str) -> Option<(&str, usize, u32)> {
    let year = rfc3339
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    let month: usize = rfc3339.get(5..7)?.parse().ok()?;
    let day: u32 = rfc3339.get(8..10)?.parse().ok()?;
    (rfc3339.get(4..5) == Some("-") && (1..=12).contains(&month) && (1..=31).contains(&day))
        .then_some((year, month, day))
}

/// An instant as a date people read: `15 January 2027` (the input when it is no date).
pub fn date(rfc3339: &str) -> String {
    match ymd(rfc3339) {
        Some((year, month, day)) => {
            let name = MONTHS.get(month - 1).copied().unwrap_or("");
            format!("{day} {name} {year}")
        }
        None => rfc3339.to_owned(),
    }
}

/// An instant with its time: `15 January 2027, 08:00 UTC` (UTC instants; else [`date`]).
pub fn date_time(rfc3339: &str) -> String {
    match rfc3339.get(11..16) {
        Some(time) if rfc3339.ends_with('Z') && ymd(rfc3339).is_some() => {
            format!("{}, {time} UTC", date(rfc3339))
        }
        _ => date(rfc3339),
    }
}

/// The (year, month) of an instant, for forms that ask for them (LinkedIn).
pub fn year_month(rfc3339: &str) -> Option<(String, String)> {
    ymd(rfc3339).map(|(y, m, _)| (y.to_owned(), m.to_string()))
}

/// The learner's name as the credential gives it: `credentialSubject.name`, or a plain
/// (unhashed) `identifier` of type `name` (OB 3.0 IdentityObject); `None` when it names
/// them only by a DID or a hash.
pub fn learner_name(subject: &Value) -> Option<String> {
    let subject = match subject {
        Value::Array(items) => items.first()?,
        one => one,
    };
    if let Some(name) = subject.get("name").and_then(Value::as_str) {
        return Some(name.trim().to_owned()).filter(|n| !n.is_empty());
    }
    let identifiers = match subject.get("identifier")? {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        one => vec![one],
    };
    identifiers
        .into_iter()
        .find(|i| i.get("identityType") == Some(&Value::from("name")) && i["hashed"] != true)
        .and_then(|i| i.get("identityHash").and_then(Value::as_str))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn no_id_is_shown_as_its_own_label() {
        for id in [
            "format",
            "context",
            "schema",
            "proof",
            "issuer_key",
            "validity_window",
            "status",
            "binding",
            "trusted_issuer",
            "dcql_query",
        ] {
            assert!(!check(id).contains('_'), "{id}");
            assert_ne!(check(id), "Other check", "{id}");
        }
        assert_eq!(check_name(CheckName::IssuerKey), check("issuer_key"));
        assert_eq!(check_id(CheckName::ValidityWindow), "validity_window");
        assert_eq!(format("badge_jwt_vc_json"), "Open Badge, signed JWT");
        assert_eq!(format("mso_mdoc"), "mso mdoc");
    }

    #[test]
    fn dates_read_like_dates() {
        assert_eq!(date("2027-01-15T08:00:00Z"), "15 January 2027");
        assert_eq!(date("2027-12-03"), "3 December 2027");
        assert_eq!(
            date_time("2027-01-15T08:00:00Z"),
            "15 January 2027, 08:00 UTC"
        );
        assert_eq!(date_time("2027-01-15T08:00:00+02:00"), "15 January 2027");
        assert_eq!(date("soon"), "soon");
        assert_eq!(date("2027-13-01T00:00:00Z"), "2027-13-01T00:00:00Z");
        assert_eq!(
            year_month("2028-03-01T00:00:00Z"),
            Some(("2028".into(), "3".into()))
        );
    }

    #[test]
    fn the_learner_is_named_from_the_credential() {
        let subject = json!({"id": "did:key:z6Mk", "identifier": [
            {"type": "IdentityObject", "hashed": true, "identityHash": "sha256$ab", "identityType": "emailAddress"},
            {"type": "IdentityObject", "hashed": false, "identityHash": "Ada Lovelace", "identityType": "name"}
        ]});
        assert_eq!(learner_name(&subject).as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            learner_name(&json!({"name": "Grace"})).as_deref(),
            Some("Grace")
        );
        let hashed =
            json!({"identifier": {"hashed": true, "identityHash": "x", "identityType": "name"}});
        assert_eq!(learner_name(&hashed), None);
        assert_eq!(learner_name(&json!({"id": "did:key:z6Mk"})), None);
        assert_eq!(learner_name(&json!("junk")), None);
    }
}
