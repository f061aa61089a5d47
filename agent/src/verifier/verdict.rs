//! The verdict of a presentation request as people read it: the overall answer, then every
//! check on its own line, then the facts about each presented badge and its holder. Built from
//! the stored verdict JSON (see `service::verdict_json`); unknown or missing fields show as
//! "unknown", never as an error. Rendered by `templates/verifier/verdict.html`, a fragment the
//! console's verification page inserts without reloading.

use askama::Template;
use serde_json::Value;

/// One check on its own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckLine {
    /// What it was about: `presentation`, the badge's name, `query`.
    pub(crate) scope: String,
    /// The check's name (`proof`, `expiry`, `trusted_issuer`, …).
    pub(crate) name: String,
    /// `passed`, `warning`, `failed` or `skipped` (anything else shows as `skipped`).
    pub(crate) outcome: &'static str,
    /// What it found.
    pub(crate) detail: String,
}

/// The facts of one presented badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadgeFacts {
    /// The achievement's name.
    pub(crate) achievement: String,
    /// Issuer name and id.
    pub(crate) issuer: String,
    /// The credential subject's id.
    pub(crate) subject: String,
    /// Who presented it (the holder's DID).
    pub(crate) holder: String,
    /// `ldp_vc` or `jwt_vc_json`.
    pub(crate) format: String,
}

/// A verdict ready to render.
#[derive(Debug, Clone, Template)]
#[template(path = "verifier/verdict.html")]
pub(crate) struct VerdictView {
    /// The response was accepted.
    pub(crate) accepted: bool,
    /// Why not, when rejected.
    pub(crate) reason: Option<String>,
    /// When the answer arrived (RFC 3339).
    pub(crate) received_at: String,
    /// Every check, in the order they ran.
    pub(crate) checks: Vec<CheckLine>,
    /// Every presented badge.
    pub(crate) badges: Vec<BadgeFacts>,
}

fn outcome(v: &Value) -> &'static str {
    match v.as_str() {
        Some("passed") => "passed",
        Some("warning") => "warning",
        Some("failed") => "failed",
        _ => "skipped",
    }
}

fn text(v: &Value, or: &str) -> String {
    v.as_str().unwrap_or(or).to_owned()
}

fn push_checks(out: &mut Vec<CheckLine>, scope: &str, checks: &Value) {
    for c in checks.as_array().into_iter().flatten() {
        out.push(CheckLine {
            scope: scope.to_owned(),
            name: text(&c["name"], "check"),
            outcome: outcome(&c["outcome"]),
            detail: text(&c["detail"], ""),
        });
    }
}

impl VerdictView {
    /// The view of a stored verdict (`result` of a presentation request).
    pub(crate) fn from_result(result: &Value) -> Self {
        let accepted = result["accepted"] == Value::Bool(true);
        let reason = (!accepted).then(|| {
            match (
                result["error"]["error_description"].as_str(),
                result["error"]["error"].as_str(),
            ) {
                (Some(d), Some(code)) => format!("{d} ({code})"),
                (Some(d), None) => d.to_owned(),
                (None, Some(code)) => code.to_owned(),
                (None, None) if result["wallet_error"] == Value::Bool(true) => {
                    "the wallet declined or reported an error".to_owned()
                }
                (None, None) => "the presentation did not pass the checks".to_owned(),
            }
        });
        let mut checks = Vec::new();
        let mut badges = Vec::new();
        for p in result["presentations"].as_array().into_iter().flatten() {
            let holder = text(&p["holder"], "unknown holder");
            push_checks(&mut checks, "presentation", &p["presentation"]["checks"]);
            for c in p["credentials"].as_array().into_iter().flatten() {
                let v = &c["verdict"];
                let achievement = text(&v["achievement"], "a credential");
                push_checks(&mut checks, &achievement, &v["checks"]);
                if c["trusted_issuer"].is_object() {
                    checks.push(CheckLine {
                        scope: achievement.clone(),
                        name: "trusted_issuer".to_owned(),
                        outcome: outcome(&c["trusted_issuer"]["outcome"]),
                        detail: text(&c["trusted_issuer"]["detail"], ""),
                    });
                }
                let issuer = match (v["issuer_name"].as_str(), v["issuer"].as_str()) {
                    (Some(name), Some(id)) => format!("{name} ({id})"),
                    (None, Some(id)) => id.to_owned(),
                    (Some(name), None) => name.to_owned(),
                    (None, None) => "unknown issuer".to_owned(),
                };
                badges.push(BadgeFacts {
                    achievement,
                    issuer,
                    subject: text(&v["subject"], "unknown subject"),
                    holder: holder.clone(),
                    format: text(&v["format"], "unknown format"),
                });
            }
        }
        if result["query"].is_object() {
            checks.push(CheckLine {
                scope: "request".to_owned(),
                name: "dcql_query".to_owned(),
                outcome: outcome(&result["query"]["outcome"]),
                detail: text(&result["query"]["detail"], ""),
            });
        }
        Self {
            accepted,
            reason,
            received_at: text(&result["received_at"], ""),
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
                    "trusted_issuer": {"outcome": "failed", "detail": "not in the list"}
                }]
            }],
            "query": {"outcome": "passed", "detail": "satisfied"}
        });
        let view = VerdictView::from_result(&result);
        assert!(!view.accepted);
        assert_eq!(
            view.reason.as_deref(),
            Some("untrusted issuer (access_denied)")
        );
        let outcomes: Vec<&str> = view.checks.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, ["passed", "skipped", "failed", "passed"]);
        assert_eq!(view.badges[0].issuer, "Acme (did:key:z6Mkissuer)");
        let html = view.html();
        assert_eq!(html.matches("<li ").count(), 4, "{html}");
        assert!(html.contains("data-outcome=\"failed\""));
        assert!(
            html.contains("Rust &#60;b&#62;") || html.contains("Rust &lt;b&gt;"),
            "{html}"
        );
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
