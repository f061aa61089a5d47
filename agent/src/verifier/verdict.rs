//! The verdict of a presentation request as people read it: the one-line answer first (a
//! heading), then each presented badge (or, when its content failed verification, what it
//! merely claims), then every check folded below. Built from the stored verdict JSON (see
//! `service::verdict_json`); unknown or missing fields show as "unknown", never as an error.
//! Words come from [`super::labels`]; ids stay in `data-` attributes. Rendered by
//! `templates/verifier/verdict.html`, a fragment the console's verification page inserts
//! without reloading.

use askama::Template;
use serde_json::Value;

use super::labels;

/// One check on its own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckLine {
    /// What it was about, for people: "The presentation", the badge's name, "Your request".
    pub(crate) scope: String,
    /// The check's id (`proof`, `trusted_issuer`, …), for `data-check` only.
    pub(crate) name: String,
    /// The check's label.
    pub(crate) label: &'static str,
    /// `passed`, `warning`, `failed` or `skipped` (anything else shows as `skipped`).
    pub(crate) outcome: &'static str,
    /// The mark shown before the label.
    pub(crate) symbol: &'static str,
    /// What it found.
    pub(crate) detail: String,
}

/// The facts of one presented badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadgeFacts {
    /// The badge's own checks found its content authentic (else it is shown as claims).
    pub(crate) authentic: bool,
    /// The achievement's name.
    pub(crate) achievement: String,
    /// The issuer's name, else its id.
    pub(crate) issuer: String,
    /// The issuer's id when its name is shown.
    pub(crate) issuer_id: Option<String>,
    /// The learner's name, else the subject's DID.
    pub(crate) learner: String,
    /// The subject's DID when the name is shown.
    pub(crate) learner_id: Option<String>,
    /// Who presented it (the holder's DID).
    pub(crate) holder: String,
    /// The holder is the learner the badge names.
    pub(crate) holder_is_learner: bool,
    /// The format, in words.
    pub(crate) format: String,
    /// Issue date, in words.
    pub(crate) issued: Option<String>,
    /// Expiry date, in words.
    pub(crate) expires: Option<String>,
}

/// A verdict ready to render.
#[derive(Debug, Clone, Template)]
#[template(path = "verifier/verdict.html")]
pub(crate) struct VerdictView {
    /// The response was accepted.
    pub(crate) accepted: bool,
    /// The one-line answer.
    pub(crate) headline: String,
    /// Why not, when rejected (the wallet's or the check's words).
    pub(crate) reason: Option<String>,
    /// When the answer arrived (RFC 3339).
    pub(crate) received_at: String,
    /// The same, in words.
    pub(crate) received_human: String,
    /// Every check, in the order they ran.
    pub(crate) checks: Vec<CheckLine>,
    /// Checks that passed.
    pub(crate) passed: usize,
    /// Every presented badge.
    pub(crate) badges: Vec<BadgeFacts>,
}

fn outcome(v: &Value) -> (&'static str, &'static str) {
    match v.as_str() {
        Some("passed") => ("passed", "\u{2713}"),
        Some("warning") => ("warning", "\u{26a0}"),
        Some("failed") => ("failed", "\u{2717}"),
        _ => ("skipped", "\u{2013}"),
    }
}

fn text(v: &Value, or: &str) -> String {
    v.as_str().unwrap_or(or).to_owned()
}

fn line(scope: &str, id: &str, outcome_of: &Value, detail: &Value) -> CheckLine {
    let (outcome, symbol) = outcome(outcome_of);
    CheckLine {
        scope: labels::scope(scope),
        name: id.to_owned(),
        label: labels::check(id),
        outcome,
        symbol,
        detail: text(detail, ""),
    }
}

fn push_checks(out: &mut Vec<CheckLine>, scope: &str, checks: &Value) {
    for c in checks.as_array().into_iter().flatten() {
        out.push(line(
            scope,
            c["name"].as_str().unwrap_or("check"),
            &c["outcome"],
            &c["detail"],
        ));
    }
}

/// `name` when given, with `id` as its detail; else `id` alone; else `unknown`.
fn named(name: Option<&str>, id: Option<&str>, unknown: &str) -> (String, Option<String>) {
    match (name, id) {
        (Some(name), id) => (name.to_owned(), id.map(str::to_owned)),
        (None, Some(id)) => (id.to_owned(), None),
        (None, None) => (unknown.to_owned(), None),
    }
}

impl VerdictView {
    /// The view of a stored verdict (`result` of a presentation request).
    pub(crate) fn from_result(result: &Value) -> Self {
        let accepted = result["accepted"] == Value::Bool(true);
        let mut checks = Vec::new();
        let mut badges = Vec::new();
        for p in result["presentations"].as_array().into_iter().flatten() {
            let holder = text(&p["holder"], "an unknown holder");
            push_checks(&mut checks, "presentation", &p["presentation"]["checks"]);
            for c in p["credentials"].as_array().into_iter().flatten() {
                let v = &c["verdict"];
                let achievement = text(&v["achievement"], "a badge");
                push_checks(&mut checks, &achievement, &v["checks"]);
                if c["trusted_issuer"].is_object() {
                    checks.push(line(
                        &achievement,
                        "trusted_issuer",
                        &c["trusted_issuer"]["outcome"],
                        &c["trusted_issuer"]["detail"],
                    ));
                }
                let authentic = !v["checks"].as_array().into_iter().flatten().any(|c| {
                    c["outcome"] == "failed"
                        && labels::breaks_content(c["name"].as_str().unwrap_or(""))
                });
                let (issuer, issuer_id) = named(
                    v["issuer_name"].as_str(),
                    v["issuer"].as_str(),
                    "an unknown issuer",
                );
                let (learner, learner_id) = named(
                    c["subject_name"].as_str(),
                    v["subject"].as_str(),
                    "an unnamed learner",
                );
                badges.push(BadgeFacts {
                    authentic,
                    achievement,
                    issuer,
                    issuer_id,
                    learner,
                    learner_id,
                    holder_is_learner: v["subject"].as_str().is_some()
                        && v["subject"] == p["holder"],
                    holder: holder.clone(),
                    format: v["format"]
                        .as_str()
                        .map_or_else(|| "unknown".to_owned(), labels::format),
                    issued: c["valid_from"].as_str().map(labels::date),
                    expires: c["valid_until"].as_str().map(labels::date),
                });
            }
        }
        if result["query"].is_object() {
            checks.push(line(
                "request",
                "dcql_query",
                &result["query"]["outcome"],
                &result["query"]["detail"],
            ));
        }
        let first_failure = checks.iter().find(|c| c.outcome == "failed");
        let headline = if accepted {
            match badges.as_slice() {
                [one] => format!(
                    "Accepted: {} holds \u{201c}{}\u{201d}",
                    one.learner, one.achievement
                ),
                _ => "Accepted: the badges check out".to_owned(),
            }
        } else if let Some(failed) = first_failure {
            format!("Rejected: {}", labels::failure(&failed.name))
        } else if result["wallet_error"] == Value::Bool(true) {
            "Rejected: the wallet declined or reported an error".to_owned()
        } else {
            "Rejected: the presentation did not pass the checks".to_owned()
        };
        // The wallet's or the protocol's own words, without the protocol's error code: only
        // when no check says why, since the protocol's words name query and configuration ids
        // ("credential in badge_ldp_vc is revoked") that mean nothing to the person reading.
        let reason = (!accepted && first_failure.is_none())
            .then(|| {
                result["error"]["error_description"]
                    .as_str()
                    .map(str::to_owned)
            })
            .flatten();
        let received_at = text(&result["received_at"], "");
        Self {
            accepted,
            headline,
            reason,
            received_human: labels::date_time(&received_at),
            received_at,
            passed: checks.iter().filter(|c| c.outcome == "passed").count(),
            checks,
            badges,
        }
    }

    /// The rendered fragment (empty on a rendering failure, which askama cannot produce here
    /// short of a formatting bug; logged).
    pub(crate) fn html(&self) -> String {
        self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "verdict fragment failed to render");
            String::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_check_on_its_own_line_and_facts() {
        let result = json!({
            "accepted": false,
            "received_at": "2027-01-15T08:00:00Z",
            "error": {"error": "access_denied", "error_description": "untrusted issuer"},
            "presentations": [{
                "holder": "did:key:z6Mkholder",
                "presentation": {"checks": [{"name": "proof", "outcome": "passed", "detail": "ok"}]},
                "credentials": [{
                    "verdict": {"format": "ldp_vc", "issuer": "did:key:z6Mkissuer", "issuer_name": "Acme",
                        "subject": "did:key:z6Mkholder", "achievement": "Rust <b>",
                        "checks": [{"name": "expiry", "outcome": "weird", "detail": "n/a"}]},
                    "trusted_issuer": {"outcome": "failed", "detail": "not in the list"},
                    "subject_name": "Ada Lovelace",
                    "valid_until": "2028-03-01T00:00:00Z"
                }]
            }],
            "query": {"outcome": "passed", "detail": "satisfied"}
        });
        let view = VerdictView::from_result(&result);
        assert!(!view.accepted);
        // The failed check says why; the protocol's own words are not repeated under it.
        assert_eq!(view.reason, None);
        assert_eq!(view.headline, "Rejected: its issuer is not one you trust");
        let outcomes: Vec<&str> = view.checks.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, ["passed", "skipped", "failed", "passed"]);
        assert_eq!(view.badges[0].issuer, "Acme");
        assert_eq!(view.badges[0].learner, "Ada Lovelace");
        assert_eq!(
            view.badges[0].learner_id.as_deref(),
            Some("did:key:z6Mkholder")
        );
        assert!(view.badges[0].holder_is_learner);
        assert_eq!(view.badges[0].expires.as_deref(), Some("1 March 2028"));
        let html = view.html();
        assert_eq!(html.matches("<li ").count(), 4, "{html}");
        assert!(html.contains("data-outcome=\"failed\""));
        assert!(
            html.contains("Rust &#60;b&#62;") || html.contains("Rust &lt;b&gt;"),
            "{html}"
        );
        // Ids stay in attributes; people read words.
        let visible: String = html
            .split('<')
            .filter_map(|t| t.split_once('>').map(|(_, v)| v))
            .collect();
        for id in ["trusted_issuer", "dcql_query", "ldp_vc", "access_denied"] {
            assert!(!visible.contains(id), "{id} shown: {visible}");
        }
        assert!(visible.contains("15 January 2027, 08:00 UTC"), "{visible}");
    }

    #[test]
    fn an_accepted_verdict_names_the_learner() {
        let result = json!({
            "accepted": true,
            "presentations": [{
                "holder": "did:key:z6Mkholder",
                "credentials": [{
                    "verdict": {"format": "jwt_vc_json", "subject": "did:key:z6Mkholder",
                        "achievement": "Rust Practitioner", "checks": []},
                    "subject_name": "Ada Lovelace"
                }]
            }]
        });
        let view = VerdictView::from_result(&result);
        assert_eq!(
            view.headline,
            "Accepted: Ada Lovelace holds \u{201c}Rust Practitioner\u{201d}"
        );
        assert!(!view.html().contains("Issued to did:"));
    }

    #[test]
    fn a_forged_badge_is_shown_as_claims() {
        let result = json!({
            "accepted": false,
            "presentations": [{
                "holder": "did:key:z6Mkholder",
                "credentials": [{
                    "verdict": {"achievement": "Rust Grandmaster",
                        "checks": [{"name": "proof", "outcome": "failed", "detail": "bad signature"}]}
                }]
            }]
        });
        let view = VerdictView::from_result(&result);
        assert!(!view.badges[0].authentic);
        assert!(
            view.headline
                .starts_with("Rejected: the content was changed"),
            "{}",
            view.headline
        );
        let html = view.html();
        assert!(!html.contains("<h3 class=\"achievement\""), "{html}");
        assert!(html.contains("claims"), "{html}");
    }

    #[test]
    fn junk_results_render_without_panicking() {
        for junk in [json!(null), json!([]), json!({"presentations": "x"})] {
            let view = VerdictView::from_result(&junk);
            assert!(!view.accepted);
            assert!(view.checks.is_empty());
            assert!(!view.html().is_empty());
        }
    }
}
