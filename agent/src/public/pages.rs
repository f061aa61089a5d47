//! HTML of the public badge page and the verification page: server-rendered, no script, no
//! external resource, every value from a credential escaped.

use std::sync::OnceLock;

use base64::Engine as _;
use rosette_proof::{Outcome, Verdict};
use sha2::{Digest as _, Sha256};

use super::{BadgeFacts, BadgePage, UploadVerdict};
use crate::pages::esc;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#1f2937;line-height:1.45}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.5rem}\
.badge{display:flex;gap:1rem;align-items:center;border:1px solid #e5e7eb;border-radius:.75rem;padding:1rem}\
.badge img{width:96px;height:96px;flex:none}\
.qr{width:220px;height:220px;display:block;margin:1rem auto;image-rendering:pixelated}\
a.button{display:block;text-align:center;background:#0a66c2;color:#fff;padding:.8rem;border-radius:.5rem;text-decoration:none;margin:1rem 0}\
.checks{list-style:none;padding:0}.checks li{padding:.4rem .6rem;border-radius:.4rem;margin:.25rem 0;overflow-wrap:anywhere}\
.passed{background:#ecfdf5}.warning{background:#fffbeb}.failed{background:#fef2f2}.skipped{background:#f3f4f6}\
.state{font-weight:bold;padding:.6rem;border-radius:.5rem}.ok{background:#d1fae5}.warn{background:#fef3c7}.bad{background:#fee2e2}\
textarea{width:100%;min-height:8rem;font-family:monospace;box-sizing:border-box}\
button{font-size:1rem;padding:.6rem 1.2rem;margin-top:.5rem}.note{background:#f3f4f6;border-radius:.5rem;padding:.75rem}\
small{color:#4b5563;overflow-wrap:anywhere}";

/// The Content-Security-Policy of these pages: nothing but our own images and this style.
pub(crate) fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
        format!(
            "default-src 'none'; img-src 'self' data:; style-src 'sha256-{hash}'; \
form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
    })
}

fn page(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title>{head}<style>{STYLE}</style></head>\
<body><main>{body}</main></body></html>",
        esc(title)
    )
}

fn mark(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Passed => ("passed", "\u{2713}"),
        Outcome::Warning => ("warning", "\u{26a0}"),
        Outcome::Failed => ("failed", "\u{2717}"),
        Outcome::Skipped => ("skipped", "\u{2013}"),
    }
}

fn check_line(class: &str, symbol: &str, label: &str, outcome: &str, detail: &str) -> String {
    format!(
        "<li class=\"{class}\" data-outcome=\"{outcome}\"><span aria-hidden=\"true\">{symbol}</span> \
<strong>{}</strong>: {}</li>",
        esc(label),
        esc(detail)
    )
}

/// The verdict block: a headline, then each check on its own line, then the issuer line.
/// A valid signature by an issuer this site does not know is a warning, not a failure.
fn verdict_block(verdict: &Verdict, issuer_line: Option<(bool, String)>) -> String {
    let mut lines = String::new();
    for check in &verdict.checks {
        let (class, symbol) = mark(check.outcome);
        lines.push_str(&check_line(
            class,
            symbol,
            check.name.label(),
            class,
            &check.detail,
        ));
    }
    let mut known = true;
    if let Some((is_known, text)) = &issuer_line {
        known = *is_known;
        let outcome = if known {
            Outcome::Passed
        } else {
            Outcome::Warning
        };
        let (class, symbol) = mark(outcome);
        lines.push_str(&check_line(class, symbol, "issuer", class, text));
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
    format!(
        "<section id=\"verdict\" data-valid=\"{}\"><p class=\"state {class}\" id=\"verdict-state\">{}</p>\
<ul class=\"checks\" id=\"checks\">{lines}</ul></section>",
        verdict.is_valid(),
        esc(&headline)
    )
}

fn is_web_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn badge_header(facts: &BadgeFacts, image_src: Option<&str>, holder: Option<&str>) -> String {
    let image = image_src
        .map(|src| format!("<img id=\"badge-image\" src=\"{}\" alt=\"\">", esc(src)))
        .unwrap_or_default();
    let holder = holder
        .map(|h| format!("<p>Earned by <strong id=\"holder\">{}</strong></p>", esc(h)))
        .unwrap_or_default();
    let issuer = match (&facts.issuer_name, &facts.issuer) {
        (Some(name), Some(id)) => format!("{} <small>({})</small>", esc(name), esc(id)),
        (Some(name), None) => esc(name),
        (None, Some(id)) => esc(id),
        (None, None) => "an unnamed issuer".to_owned(),
    };
    format!(
        "<div class=\"badge\">{image}<div><h1 id=\"achievement\">{}</h1>{holder}\
<p id=\"issuer\">Issued by {issuer}</p></div></div>",
        esc(facts.name.as_deref().unwrap_or("Badge"))
    )
}

fn details(facts: &BadgeFacts) -> String {
    let mut out = String::new();
    if let Some(d) = &facts.description {
        out.push_str(&format!("<p id=\"description\">{}</p>", esc(d)));
    }
    let narrative = facts.criteria.as_deref().map(esc);
    let link = facts
        .criteria_url
        .as_deref()
        .filter(|u| is_web_url(u))
        .map(|u| {
            format!(
                "<a href=\"{}\" rel=\"nofollow noopener\">criteria page</a>",
                esc(u)
            )
        });
    if narrative.is_some() || link.is_some() {
        out.push_str(&format!(
            "<h2>Criteria</h2><p id=\"criteria\">{} {}</p>",
            narrative.unwrap_or_default(),
            link.unwrap_or_default()
        ));
    }
    if let Some(issued) = &facts.issued {
        out.push_str(&format!("<p><small>Issued {}</small></p>", esc(issued)));
    }
    out
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
    let head = format!(
        "<meta name=\"description\" content=\"{d}\"><meta property=\"og:type\" content=\"website\">\
<meta property=\"og:title\" content=\"{t}\"><meta property=\"og:description\" content=\"{d}\">\
<meta property=\"og:image\" content=\"{u}/image\"><meta property=\"og:url\" content=\"{u}\">",
        t = esc(title),
        d = esc(&description),
        u = esc(&view.url),
    );
    let id = esc(id);
    let body = format!(
        "{header}{details}<h2>Verification</h2>{verdict}\
<p><small>Checked {checked}, when this page was loaded.</small></p>\
<a class=\"button\" id=\"linkedin\" href=\"{linkedin}\" rel=\"noopener\">Add to LinkedIn profile</a>\
<h2>Share this page</h2><img class=\"qr\" id=\"qr\" src=\"{id}/qr.png\" alt=\"QR code of this page's address\">\
<p><small id=\"page-url\">{url}</small></p>\
<p><small>Check any badge file on the <a href=\"/verify\">verification page</a>.</small></p>",
        header = badge_header(
            facts,
            Some(&format!("{id}/image")),
            view.display_name.as_deref()
        ),
        details = details(facts),
        verdict = verdict_block(&view.verdict, None),
        checked = esc(checked_at),
        linkedin = esc(&linkedin_url(facts, &view.url)),
        url = esc(&view.url),
    );
    page(title, &head, &body)
}

/// A page that does not exist (or was withdrawn).
pub(crate) fn not_found() -> String {
    page(
        "Badge page not found",
        "",
        "<h1>Badge page not found</h1><p>This badge page does not exist or its holder withdrew it.</p>",
    )
}

const FORM: &str = "<form method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\">\
<p><label for=\"file\">Badge file (JSON, VC-JWT, baked PNG or SVG):</label><br>\
<input type=\"file\" id=\"file\" name=\"file\" accept=\".json,.jwt,.txt,.png,.svg,application/json,image/png,image/svg+xml\"></p>\
<p><label for=\"text\">Or paste it here:</label><br><textarea id=\"text\" name=\"text\" spellcheck=\"false\"></textarea></p>\
<button type=\"submit\" id=\"submit\">Verify</button></form>\
<p><small>Nothing you upload is stored. The check runs on this server.</small></p>";

/// The empty verification page.
pub(crate) fn verify_form() -> String {
    page(
        "Verify a badge",
        "",
        &format!("<h1>Verify a badge</h1>{FORM}"),
    )
}

/// The verification page with a verdict.
pub(crate) fn verify_result(result: &UploadVerdict) -> String {
    let facts = &result.facts;
    let image = facts
        .image
        .as_deref()
        .filter(|i| i.starts_with("data:image/"));
    let issuer_line = result.verdict.issuer.as_ref().map(|issuer| {
        match &result.known_issuer {
            Some(name) => (true, format!("{name} ({issuer}) is an issuer of this site")),
            None => (
                false,
                format!("{issuer} is not an issuer this site knows; check who it is before trusting the badge"),
            ),
        }
    });
    let body = format!(
        "<h1>Verify a badge</h1><p>Checked a {source}.</p>{header}{details}{verdict}<h2>Check another</h2>{FORM}",
        source = esc(result.source),
        header = badge_header(facts, image, None),
        details = details(facts),
        verdict = verdict_block(&result.verdict, issuer_line),
    );
    page("Verification result", "", &body)
}

/// The verification page with an error (junk, too large, an image without a badge).
pub(crate) fn verify_error(message: &str) -> String {
    page(
        "Cannot verify",
        "",
        &format!(
            "<h1>Verify a badge</h1><p class=\"state bad\" id=\"error\">{}</p>{FORM}",
            esc(message)
        ),
    )
}
