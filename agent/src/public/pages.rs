//! HTML of the public badge page and the verification page: askama templates
//! (`templates/public/`) on the site's layout, no script, no outside resource, every value from
//! a credential escaped by the templates.

use askama::Template;
use rosette_proof::{Outcome, Verdict};

use super::{BadgeFacts, BadgePage, UploadVerdict};

/// One line of the verdict: a check and its outcome.
struct CheckLine {
    class: &'static str,
    symbol: &'static str,
    label: String,
    detail: String,
}

/// The verdict block: a headline, then each check on its own line.
struct VerdictView {
    valid: bool,
    class: &'static str,
    headline: String,
    lines: Vec<CheckLine>,
}

/// The badge's image, name, holder and issuer.
struct HeaderView {
    name: String,
    image: Option<String>,
    holder: Option<String>,
    /// The issuer's name, else its id, else "an unnamed issuer".
    issuer: String,
    /// The issuer's id, shown after its name when it has both.
    issuer_id: Option<String>,
}

/// Description, criteria and issue date.
struct DetailsView {
    description: Option<String>,
    criteria: Option<String>,
    /// Only `https://` or `http://` links.
    criteria_url: Option<String>,
    issued: Option<String>,
}

#[derive(Template)]
#[template(path = "public/badge.html")]
struct BadgePageHtml<'a> {
    title: &'a str,
    description: String,
    url: &'a str,
    id: &'a str,
    checked_at: &'a str,
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

fn line(outcome: Outcome, label: &str, detail: &str) -> CheckLine {
    let (class, symbol) = mark(outcome);
    CheckLine {
        class,
        symbol,
        label: label.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Each check on its own line, then the issuer line. A valid signature by an issuer this site
/// does not know is a warning, not a failure.
fn verdict_view(verdict: &Verdict, issuer_line: Option<(bool, String)>) -> VerdictView {
    let mut lines: Vec<CheckLine> = verdict
        .checks
        .iter()
        .map(|check| line(check.outcome, check.name.label(), &check.detail))
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
    let (class, headline) = if !verdict.is_valid() {
        let why = verdict
            .first_failure()
            .map(|c| format!(" ({} failed)", c.name.label()))
            .unwrap_or_default();
        ("bad", format!("\u{2717} Not verified{why}"))
    } else if !known {
        (
            "warn",
            "\u{26a0} Valid signature, unknown issuer".to_owned(),
        )
    } else {
        ("ok", "\u{2713} Verified".to_owned())
    };
    VerdictView {
        valid: verdict.is_valid(),
        class,
        headline,
        lines,
    }
}

fn is_web_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn header_view(facts: &BadgeFacts, image: Option<String>, holder: Option<&str>) -> HeaderView {
    let (issuer, issuer_id) = match (&facts.issuer_name, &facts.issuer) {
        (Some(name), Some(id)) => (name.clone(), Some(id.clone())),
        (Some(name), None) => (name.clone(), None),
        (None, Some(id)) => (id.clone(), None),
        (None, None) => ("an unnamed issuer".to_owned(), None),
    };
    HeaderView {
        name: facts.name.clone().unwrap_or_else(|| "Badge".to_owned()),
        image,
        holder: holder.map(str::to_owned),
        issuer,
        issuer_id,
    }
}

fn details_view(facts: &BadgeFacts) -> DetailsView {
    DetailsView {
        description: facts.description.clone(),
        criteria: facts.criteria.clone(),
        criteria_url: facts.criteria_url.clone().filter(|u| is_web_url(u)),
        issued: facts.issued.clone(),
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
        if let Some(t) = facts
            .issued
            .as_deref()
            .and_then(rosette_core::Timestamp::parse)
        {
            let text = t.to_rfc3339();
            if let (Some(y), Some(m)) = (text.get(0..4), text.get(5..7)) {
                q.append_pair("issueYear", y);
                q.append_pair("issueMonth", m.trim_start_matches('0'));
            }
        }
        q.append_pair("certUrl", page_url);
        if let Some(id) = &facts.credential_id {
            q.append_pair("certId", id);
        }
    }
    url.into()
}

/// The public page of a badge, verified at view time.
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
    render(&BadgePageHtml {
        title,
        description,
        url: &view.url,
        id,
        checked_at,
        linkedin: linkedin_url(facts, &view.url),
        header: header_view(
            facts,
            Some(format!("{id}/image")),
            view.display_name.as_deref(),
        ),
        details: details_view(facts),
        verdict: verdict_view(&view.verdict, None),
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
            Some(name) => (true, format!("{name} ({issuer}) is an issuer of this site")),
            None => (
                false,
                format!("{issuer} is not an issuer this site knows; check who it is before trusting the badge"),
            ),
        }
    });
    render(&VerifyResultHtml {
        source: result.source,
        header: header_view(facts, image, None),
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
