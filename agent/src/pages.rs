//! HTML pages (claim page). All interpolated text is escaped.

use crate::service::ClaimView;

/// Escapes `text` for HTML text and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1f2937}\
.badge{display:flex;gap:1rem;align-items:center;border:1px solid #e5e7eb;border-radius:.75rem;padding:1rem}\
.badge img{width:72px;height:72px}.qr{width:280px;height:280px;display:block;margin:1rem auto}\
a.button{display:block;text-align:center;background:#1e40af;color:#fff;padding:.8rem;border-radius:.5rem;text-decoration:none}\
.note{background:#f3f4f6;border-radius:.5rem;padding:.75rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    )
}

/// The claim page of an offer: QR, same-device link, badge preview, PIN guidance; or a clear
/// page when the offer was used, has expired or is locked (too many wrong PINs).
pub(crate) fn claim(view: &ClaimView, offer_id: &str) -> String {
    let image = view
        .image
        .as_deref()
        .filter(|i| {
            i.starts_with("https://") || i.starts_with("http://") || i.starts_with("data:image/")
        })
        .map(|i| format!("<img src=\"{}\" alt=\"\">", esc(i)))
        .unwrap_or_default();
    let badge = format!(
        "<div class=\"badge\">{image}<div><strong>{}</strong><br>{}<br><small>from {}</small></div></div>",
        esc(&view.achievement_name),
        esc(&view.achievement_description),
        esc(&view.institution)
    );
    let Some(url) = &view.offer_url else {
        let why = match view.state {
            "claimed" => {
                "This badge has already been collected. If that was not you, contact the issuer."
            }
            "locked" => {
                "This offer is locked: a wrong PIN was entered too many times. Ask the issuer for a new one."
            }
            _ => "This offer has expired. Ask the issuer for a new one.",
        };
        return page(
            "Offer no longer available",
            &format!("<h1>Offer no longer available</h1>{badge}<p class=\"note\">{why}</p>"),
        );
    };
    let pin = if view.pin {
        "<p class=\"note\">Your wallet will ask for a <strong>6-digit PIN</strong>. It was sent to you separately (for example by e-mail); it is not on this page.</p>"
    } else {
        ""
    };
    let body = format!(
        "<h1>Your badge is ready, {name}</h1>{badge}\
<p>Scan this code with your credential wallet:</p>\
<img class=\"qr\" src=\"{id}/qr.svg\" alt=\"QR code of the credential offer\">\
<p>On this phone? <a class=\"button\" href=\"{link}\">Open in my wallet</a></p>{pin}\
<p><small>The offer is valid until {expires}.</small></p>",
        name = esc(&view.recipient),
        id = esc(offer_id),
        link = esc(url),
        expires = esc(&view.expires_at),
    );
    page("Claim your badge", &body)
}

/// The page for an unknown offer.
#[derive(askama::Template)]
#[template(path = "offer_not_found.html")]
pub(crate) struct OfferNotFound;
