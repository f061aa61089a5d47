//! The learner's claim page (askama templates `claim.html`, `claim_gone.html`; escaped by
//! askama). Mobile-first: one column, the same-device link as a full-width button.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::offers::ClaimView;
use crate::web::ui::human_time;

/// Only images the page's policy lets load (our own origin or inline data).
fn allowed_image(image: Option<&str>) -> Option<String> {
    image
        .filter(|i| i.starts_with('/') && !i.starts_with("//") || i.starts_with("data:image/"))
        .map(str::to_owned)
}

/// A claimable offer: QR, same-device link, PIN explanation, next steps, expiry.
#[derive(Template)]
#[template(path = "claim.html")]
struct ClaimPage<'a> {
    recipient: &'a str,
    institution: &'a str,
    achievement_name: &'a str,
    achievement_description: &'a str,
    image: Option<String>,
    offer_id: &'a str,
    offer_url: &'a str,
    pin: bool,
    expires_at: &'a str,
    expires_human: String,
}

/// An offer that can no longer be claimed (claimed, expired or locked) and what to do.
#[derive(Template)]
#[template(path = "claim_gone.html")]
struct ClaimGone<'a> {
    state: &'a str,
    institution: &'a str,
    achievement_name: &'a str,
    achievement_description: &'a str,
    image: Option<String>,
    expires_at: &'a str,
    expires_human: String,
}

/// The claim page of an offer (200), or the page saying why it is gone (410).
pub(crate) fn claim(view: &ClaimView, offer_id: &str) -> Response {
    let image = allowed_image(view.image.as_deref());
    let expires_human = human_time(&view.expires_at);
    match &view.offer_url {
        Some(url) => crate::web::ui::render(
            StatusCode::OK,
            &ClaimPage {
                recipient: &view.recipient,
                institution: &view.institution,
                achievement_name: &view.achievement_name,
                achievement_description: &view.achievement_description,
                image,
                offer_id,
                offer_url: url,
                pin: view.pin,
                expires_at: &view.expires_at,
                expires_human,
            },
        ),
        None => crate::web::ui::render(
            StatusCode::GONE,
            &ClaimGone {
                state: view.state,
                institution: &view.institution,
                achievement_name: &view.achievement_name,
                achievement_description: &view.achievement_description,
                image,
                expires_at: &view.expires_at,
                expires_human,
            },
        ),
    }
}

/// The page for an unknown offer.
#[derive(askama::Template)]
#[template(path = "offer_not_found.html")]
pub(crate) struct OfferNotFound;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_or_inline_images() {
        assert!(allowed_image(Some("data:image/png;base64,AA")).is_some());
        assert!(allowed_image(Some("/issuers/a/achievements/x/image")).is_some());
        assert!(allowed_image(Some("https://evil.example/x.png")).is_none());
        assert!(allowed_image(Some("//evil.example/x.png")).is_none());
    }
}
