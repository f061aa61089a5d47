//! HTML of the public badge page and the verification page: askama templates
//! (`templates/public/`) on the site's layout, no script, no outside resource, every value from
//! a credential escaped by the templates.

use askama::Template;
use rosette_proof::{Outcome, Verdict};

use super::badge::labels;
use super::{BadgeFacts, BadgePage, UploadVerdict};
use crate::web::markdown;

/// One line of the verdict: a check and its outcome.
struct CheckLine {
    /// The check's id, for `data-check` only.
    id: String,
    class: &'static str,
    symbol: &'static str,
    label: &'static str,
    detail: String,
}

/// The verdict: a one-line answer, then each check on its own line (folded).
struct VerdictView {
    valid: bool,
    /// The badge's content is authentic (no integrity check failed), so it is shown as the
    /// badge; otherwise only as claims.
    authentic: bool,
    class: &'static str,
    symbol: &'static str,
    headline: String,
    lines: Vec<CheckLine>,
    passed: usize,
}

/// The badge's image, name, learner and issuer.
struct HeaderView {
    /// `h1` when the badge's name is the page's title, else `h2` (the verdict is the title).
    heading: &'static str,
    name: String,
    image: Option<String>,
    /// The learner: the name the holder chose, else the credential's, else its DID.
    learner: Option<String>,
    /// The learner's DID, when a name is shown.
    learner_id: Option<String>,
    /// The issuer's name, else its id, else "an unnamed issuer".
    issuer: String,
    /// The issuer's id, shown after its name when it has both.
    issuer_id: Option<String>,
    /// A `data:image/` logo.
    issuer_logo: Option<String>,
    /// The issuer's web site (`https://` or `http://` only).
    issuer_url: Option<String>,
}

/// A skill the achievement aligns to.
struct SkillView {
    name: String,
    /// Framework and code, e.g. "ESCO · S1.2".
    source: Option<String>,
    url: Option<String>,
}

/// Description, criteria, skills, tags and dates.
struct DetailsView {
    description: Option<String>,
    /// Sanitised HTML from the criteria's Markdown.
    criteria_html: Option<String>,
    /// Only `https://` or `http://` links.
    criteria_url: Option<String>,
    skills: Vec<SkillView>,
    tags: Vec<String>,
    issued: Option<String>,
    issued_iso: Option<String>,
    expires: Option<String>,
    expires_iso: Option<String>,
}

#[derive(Template)]
#[template(path = "public/badge.html")]
struct BadgePageHtml<'a> {
    title: &'a str,
    description: String,
    url: &'a str,
    id: &'a str,
    checked_at: String,
    linkedin: String,
    header: HeaderView,
    details: DetailsView,
    verdict: VerdictView,
}

#[derive(Template)]
#[template(path = "public/not_found.html")]
struct NotFoundHtml;

#[derive(Template)]
#[template(path = "public/verify_form.html")]
struct VerifyFormHtml<'a> {
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "public/verify_result.html")]
struct VerifyResultHtml<'a> {
    source: &'a str,
    header: HeaderView,
    details: DetailsView,
    verdict: VerdictView,
}

/// Renders a page; a template that fails (it cannot, short of a formatting bug) is logged and
/// answered with a plain message.
fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "public page template failed to render");
        "internal error".to_owned()
    })
}

fn mark(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Passed => ("passed", "\u{2713}"),
        Outcome::Warning => ("warning", "\u{26a0}"),
        Outcome::Failed => ("failed", "\u{2717}"),
        Outcome::Skipped => ("skipped", "\u{2013}"),
    }
}

fn line(outcome: Outcome, id: &str, detail: &str) -> CheckLine {
    let (class, symbol) = mark(outcome);
    CheckLine {
        id: id.to_owned(),
        class,
        symbol,
        label: labels::check(id),
        detail: detail.to_owned(),
    }
}

/// Each check on its own line, then the issuer line. A valid signature by an issuer this site
/// does not know is a warning, not a failure.
fn verdict_view(verdict: &Verdict, issuer_line: Option<(bool, String)>) -> VerdictView {
    let mut lines: Vec<CheckLine> = verdict
        .checks
        .iter()
        .map(|check| line(check.outcome, &labels::check_id(check.name), &check.detail))
        .collect();
    let mut known = true;
    if let Some((is_known, text)) = &issuer_line {
        known = *is_known;
        let outcome = if known {
            Outcome::Passed
        } else {
            Outcome::Warning
        };
        lines.push(line(outcome, "issuer", text));
    }
    let authentic = !verdict
        .checks
        .iter()
        .any(|c| c.outcome == Outcome::Failed && labels::breaks_content(&labels::check_id(c.name)));
    let (class, symbol, headline) = if let Some(failed) = verdict.first_failure() {
        let why = labels::failure(&labels::check_id(failed.name));
        ("bad", "\u{2717}", format!("Not verified: {why}"))
    } else if !known {
        (
            "warn",
            "\u{26a0}",
            "Valid signature, but an issuer this site does not know".to_owned(),
        )
    } else {
        ("ok", "\u{2713}", "Verified".to_owned())
    };
    VerdictView {
        valid: verdict.is_valid(),
        authentic,
        class,
        symbol,
        headline,
        passed: lines.iter().filter(|l| l.class == "passed").count(),
        lines,
    }
}

fn is_web_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// Who the badge names. A public page shows only the name its holder chose there (never the
/// credential's recipient name or DID: the holder decides what the world sees); `/verify`
/// shows what the file itself says to whoever holds the file.
enum Learner<'a> {
    Chosen(Option<&'a str>),
    FromCredential,
}

fn header_view(
    heading: &'static str,
    facts: &BadgeFacts,
    image: Option<String>,
    learner: Learner<'_>,
    logo: Option<String>,
) -> HeaderView {
    let (issuer, issuer_id) = match (&facts.issuer_name, &facts.issuer) {
        (Some(name), Some(id)) => (name.clone(), Some(id.clone())),
        (Some(name), None) => (name.clone(), None),
        (None, Some(id)) => (id.clone(), None),
        (None, None) => ("an unnamed issuer".to_owned(), None),
    };
    let (learner, learner_id) = match learner {
        Learner::Chosen(name) => (name.map(str::to_owned), None),
        Learner::FromCredential => match &facts.subject_name {
            Some(name) => (Some(name.clone()), facts.subject.clone()),
            None => (facts.subject.clone(), None),
        },
    };
    // Only images the page can show under its CSP (same origin or data:).
    let issuer_logo = facts
        .issuer_image
        .clone()
        .filter(|i| i.starts_with("data:image/"))
        .or(logo);
    HeaderView {
        heading,
        name: facts.name.clone().unwrap_or_else(|| "Badge".to_owned()),
        image,
        learner,
        learner_id,
        issuer,
        issuer_id,
        issuer_logo,
        issuer_url: facts.issuer_url.clone().filter(|u| is_web_url(u)),
    }
}

fn details_view(facts: &BadgeFacts) -> DetailsView {
    let skills = facts
        .alignments
        .iter()
        .map(|a| {
            let source = match (&a.framework, &a.code) {
                (Some(f), Some(c)) => Some(format!("{f} \u{b7} {c}")),
                (Some(one), None) | (None, Some(one)) => Some(one.clone()),
                (None, None) => None,
            };
            SkillView {
                name: a.name.clone(),
                source,
                url: a.url.clone().filter(|u| is_web_url(u)),
            }
        })
        .collect();
    DetailsView {
        description: facts.description.clone(),
        criteria_html: facts
            .criteria
            .as_deref()
            .map(markdown::to_safe_html)
            .filter(|h| !h.trim().is_empty()),
        criteria_url: facts.criteria_url.clone().filter(|u| is_web_url(u)),
        skills,
        tags: facts.tags.clone(),
        issued: facts.issued.as_deref().map(labels::date),
        issued_iso: facts.issued.clone(),
        expires: facts.expires.as_deref().map(labels::date),
        expires_iso: facts.expires.clone(),
    }
}

/// The LinkedIn add-to-profile URL of a badge whose page is at `page_url`.
pub(crate) fn linkedin_url(facts: &BadgeFacts, page_url: &str) -> String {
    let Ok(mut url) = url::Url::parse("https://www.linkedin.com/profile/add") else {
        return String::new();
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("startTask", "CERTIFICATION_NAME");
        q.append_pair("name", facts.name.as_deref().unwrap_or("Badge"));
        if let Some(org) = facts.issuer_name.as_deref().or(facts.issuer.as_deref()) {
            q.append_pair("organizationName", org);
        }
        // Normalised through Timestamp: LinkedIn wants the UTC year and month.
        let year_month = |at: Option<&str>| {
            at.and_then(rosette_core::Timestamp::parse)
                .and_then(|t| labels::year_month(&t.to_rfc3339()))
        };
        if let Some((y, m)) = year_month(facts.issued.as_deref()) {
            q.append_pair("issueYear", &y);
            q.append_pair("issueMonth", &m);
        }
        if let Some((y, m)) = year_month(facts.expires.as_deref()) {
            q.append_pair("expirationYear", &y);
            q.append_pair("expirationMonth", &m);
        }
        q.append_pair("certUrl", page_url);
        if let Some(id) = &facts.credential_id {
            q.append_pair("certId", id);
        }
    }
    url.into()
}

/// The public page of a badge, verified at view time (`checked_at`, RFC 3339).
pub(crate) fn badge_page(view: &BadgePage, id: &str, checked_at: &str) -> String {
    let facts = &view.facts;
    let title = facts.name.as_deref().unwrap_or("Badge");
    let description = match (&view.display_name, &facts.issuer_name) {
        (Some(holder), Some(issuer)) => format!("{title}: earned by {holder}, issued by {issuer}"),
        (None, Some(issuer)) => format!("{title}, issued by {issuer}"),
        _ => facts
            .description
            .clone()
            .unwrap_or_else(|| title.to_owned()),
    };
    let verdict = verdict_view(&view.verdict, None);
    render(&BadgePageHtml {
        title,
        description,
        url: &view.url,
        id,
        checked_at: labels::date_time(checked_at),
        linkedin: linkedin_url(facts, &view.url),
        header: header_view(
            if verdict.valid { "h1" } else { "h2" },
            facts,
            Some(format!("{id}/image")),
            Learner::Chosen(view.display_name.as_deref()),
            view.issuer_logo.clone(),
        ),
        details: details_view(facts),
        verdict,
    })
}

/// A page that does not exist (or was withdrawn).
pub(crate) fn not_found() -> String {
    render(&NotFoundHtml)
}

/// The empty verification page.
pub(crate) fn verify_form() -> String {
    render(&VerifyFormHtml { error: None })
}

/// The verification page with a verdict.
pub(crate) fn verify_result(result: &UploadVerdict) -> String {
    let facts = &result.facts;
    let image = facts.image.clone().filter(|i| i.starts_with("data:image/"));
    let issuer_line = result.verdict.issuer.as_ref().map(|issuer| {
        match &result.known_issuer {
            Some(name) => (true, format!("{name} issues its badges from this site ({issuer})")),
            None => (
                false,
                format!("{issuer} is not an issuer this site knows; find out who it is before trusting the badge"),
            ),
        }
    });
    render(&VerifyResultHtml {
        source: result.source,
        header: header_view("h2", facts, image, Learner::FromCredential, None),
        details: details_view(facts),
        verdict: verdict_view(&result.verdict, issuer_line),
    })
}

/// The verification page with an error (junk, too large, an image without a badge).
pub(crate) fn verify_error(message: &str) -> String {
    render(&VerifyFormHtml {
        error: Some(message),
    })
}

#[cfg(test)]
mod tests {
    use rosette_proof::{Check, CheckName};

    use super::*;

    fn facts() -> BadgeFacts {
        BadgeFacts {
            credential_id: Some("urn:uuid:1".into()),
            name: Some("Rust Practitioner".into()),
            criteria: Some("Do this:\n\n- write a crate\n- <script>alert(1)</script>".into()),
            issuer: Some("did:key:z6Mkissuer".into()),
            issuer_name: Some("Rosette Demo University".into()),
            issued: Some("2027-01-15T08:00:00Z".into()),
            expires: Some("2028-03-01T00:00:00Z".into()),
            subject: Some("did:key:z6Mklearner".into()),
            subject_name: Some("Ada Lovelace".into()),
            tags: vec!["rust".into()],
            alignments: vec![super::super::Alignment {
                name: "Systems programming".into(),
                framework: Some("ESCO".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn verdict(failed: Option<CheckName>) -> Verdict {
        let mut v = Verdict::default();
        for name in [CheckName::Format, CheckName::Proof, CheckName::Status] {
            v.checks.push(Check {
                name,
                outcome: if Some(name) == failed {
                    Outcome::Failed
                } else {
                    Outcome::Passed
                },
                detail: "detail".into(),
            });
        }
        v
    }

    #[test]
    fn linkedin_link_carries_the_expiry_and_the_page_url() {
        let url = linkedin_url(&facts(), "https://badges.example.org/issuers/demo/badges/x");
        let q: std::collections::BTreeMap<String, String> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(q["issueYear"], "2027");
        assert_eq!(q["issueMonth"], "1");
        assert_eq!(q["expirationYear"], "2028");
        assert_eq!(q["expirationMonth"], "3");
        assert_eq!(
            q["certUrl"],
            "https://badges.example.org/issuers/demo/badges/x"
        );
        assert_eq!(q["certId"], "urn:uuid:1");
        let mut forever = facts();
        forever.expires = None;
        assert!(!linkedin_url(&forever, "https://x").contains("expiration"));
    }

    #[test]
    fn a_tampered_badge_is_a_claim_under_a_failed_verdict() {
        let mut forged = facts();
        forged.name = Some("Rust Grandmaster".into());
        let html = verify_result(&UploadVerdict {
            source: "JSON",
            facts: forged,
            verdict: verdict(Some(CheckName::Proof)),
            known_issuer: None,
        });
        let first_heading = html.find("<h1").unwrap();
        assert!(
            html[first_heading..].starts_with("<h1 class=\"verdict-line bad\""),
            "{html}"
        );
        assert!(!html.contains("id=\"achievement\""), "{html}");
        assert!(!html.contains("<h2 id=\"achievement\""), "{html}");
        assert!(html.contains("What this file claims"), "{html}");
        assert!(!html.contains("badge-image"), "no forged image: {html}");
    }

    #[test]
    fn the_public_page_renders_criteria_skills_tags_and_dates() {
        let html = badge_page(
            &BadgePage {
                url: "https://badges.example.org/issuers/demo/badges/x".into(),
                display_name: None,
                facts: facts(),
                verdict: verdict(None),
                issuer_logo: None,
            },
            "x",
            "2027-02-01T10:00:00Z",
        );
        assert!(html.contains("<h1 id=\"achievement\""), "{html}");
        assert!(html.contains("<ul>\n<li>write a crate</li>"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("Systems programming"), "{html}");
        assert!(html.contains("#rust"), "{html}");
        assert!(html.contains("15 January 2027"), "{html}");
        assert!(html.contains("1 March 2028"), "{html}");
        assert!(
            !html.contains("Ada Lovelace"),
            "only the holder's chosen name: {html}"
        );
        assert!(!html.contains("did:key:z6Mklearner"), "{html}");
        assert!(html.contains("data-check=\"proof\""), "{html}");
        assert!(!html.contains(">proof<"), "ids stay in attributes: {html}");
    }
}
