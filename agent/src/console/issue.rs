//! Issuing to one learner: the form, and the result page with the QR code, the links and the
//! PIN to hand over. Re-issuing from the credentials table ends on the same result page.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{blocking, error_page, page};
use super::queries;
use super::session::StaffSession;
use crate::error::AdminError;
use crate::issuer::{CreatedOffer, IssuerService, NewOffer, Recipient};

#[derive(Template)]
#[template(path = "console/issue.html")]
struct IssueForm {
    layout: ConsoleLayout,
    /// (id, name, selected) of the active achievements.
    achievements: Vec<(String, String, bool)>,
    name: String,
    email: String,
    pin: bool,
    error: Option<String>,
}

/// What the form shows filled in (empty, or what was typed when it was refused).
#[derive(Debug, Clone)]
struct Prefill {
    chosen: Option<String>,
    name: String,
    email: String,
    pin: bool,
    error: Option<String>,
}

async fn form_page(
    service: &Arc<IssuerService>,
    session: &StaffSession,
    status: StatusCode,
    prefill: Prefill,
) -> Response {
    let Prefill {
        chosen,
        name,
        email,
        pin,
        error,
    } = prefill;
    let slug = session.slug.clone();
    match blocking(service, move |s| {
        queries::achievements(s.directory(), &slug)
    })
    .await
    {
        Ok(rows) => page(
            status,
            &IssueForm {
                layout: session.layout(Section::Issue),
                achievements: rows
                    .into_iter()
                    .filter(|r| !r.archived)
                    .map(|r| {
                        let selected = chosen.as_deref() == Some(r.id.as_str());
                        (r.id.clone(), r.name.clone(), selected)
                    })
                    .collect(),
                name,
                email,
                pin,
                error,
            },
        ),
        Err(e) => error_page(&e),
    }
}

/// `GET /console/{slug}/issue`.
pub(crate) async fn issue_form(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
) -> Response {
    form_page(
        &service,
        &session,
        StatusCode::OK,
        Prefill {
            chosen: None,
            name: String::new(),
            email: String::new(),
            pin: true,
            error: None,
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "console/issued.html")]
struct Issued {
    layout: ConsoleLayout,
    heading: &'static str,
    recipient: String,
    achievement: String,
    qr: String,
    pin: Option<String>,
    claim_page: String,
    offer_url: String,
    expires_at: String,
}

/// The result page of a created offer.
pub(crate) fn issued_page(
    session: &StaffSession,
    heading: &'static str,
    recipient: String,
    achievement: String,
    offer: CreatedOffer,
) -> Response {
    page(
        StatusCode::OK,
        &Issued {
            layout: session.layout(Section::Issue),
            heading,
            recipient,
            achievement,
            // Same origin as the console: the path, not the public URL (the CSP allows 'self').
            qr: format!("/issuers/{}/claim/{}/qr.svg", session.slug, offer.id),
            pin: offer.tx_code.clone(),
            claim_page: offer.claim_page.clone(),
            offer_url: offer.offer_url.clone(),
            expires_at: offer.expires_at.clone(),
        },
    )
}

/// `POST /console/{slug}/issue`.
pub(crate) async fn issue(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match Form::read(&headers, body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    if let Err(refused) = csrf::verify(&session, form.csrf()) {
        return refused.into_response();
    }
    let achievement_id = form.text("achievement_id").unwrap_or_default().to_owned();
    let name = form.text("name").unwrap_or_default().to_owned();
    let email = form.text("email").unwrap_or_default().to_owned();
    let pin = form.get("pin").is_some();
    let refuse = |why: &str| {
        form_page(
            &service,
            &session,
            StatusCode::BAD_REQUEST,
            Prefill {
                chosen: Some(achievement_id.clone()),
                name: name.clone(),
                email: email.clone(),
                pin,
                error: Some(why.to_owned()),
            },
        )
    };
    if name.is_empty() || name.chars().count() > 200 {
        return refuse("Give the learner's name (at most 200 characters).").await;
    }
    if !email.is_empty() && (email.len() > 320 || !email.contains('@')) {
        return refuse("The e-mail address does not look like one.").await;
    }
    let slug = session.slug.clone();
    let input = NewOffer {
        achievement_id: achievement_id.clone(),
        recipient: Recipient {
            name: name.clone(),
            email: (!email.is_empty()).then(|| email.clone()),
        },
        pin: Some(pin),
        expires_in_seconds: None,
        configurations: None,
    };
    let created = blocking(&service, move |s| {
        let achievement = queries::achievement(s.directory(), &slug, &input.achievement_id)?;
        if achievement.archived {
            return Err(AdminError::Invalid("That achievement is archived.".into()));
        }
        let offer = s.create_offer(&slug, input)?;
        Ok((achievement.name.clone(), offer))
    })
    .await;
    match created {
        Ok((achievement, offer)) => {
            issued_page(&session, "Offer created", name.clone(), achievement, offer)
        }
        Err(AdminError::Invalid(why)) => refuse(&why).await,
        Err(AdminError::NotFound(_)) => refuse("Choose an achievement from the list.").await,
        Err(e) => error_page(&e),
    }
}
