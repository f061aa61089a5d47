//! Issuing to one learner: the form, and the result page with the QR code, the links and the
//! PIN to hand over. Re-issuing from the credentials table ends on the same result page.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{blocking, error_page, page};
use super::queries;
use super::session::StaffSession;
use crate::error::AdminError;
use crate::issuer::{IssuerService, NewOffer, Recipient};
use crate::web::ui::human_time;

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
    notice: Option<&'static str>,
    recipient: String,
    achievement: String,
    state: &'static str,
    qr: String,
    pin: Option<String>,
    claim_page: String,
    offer_url: Option<String>,
    expires: String,
}

/// `GET /console/{slug}/offers/{id}?notice=`: one offer with what the learner needs (QR code,
/// links, PIN) while it is open. Creating, re-issuing and renewing redirect here, so a reload
/// shows the offer again instead of posting twice.
pub(crate) async fn offer_page(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    Path((_, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let notice = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "notice")
        .and_then(|(_, v)| match v.as_ref() {
            "created" => Some("Offer created."),
            "reissued" => Some("Re-issue offer created."),
            "renewed" => Some("A new offer was created; the old one stays closed."),
            _ => None,
        });
    let slug = session.slug.clone();
    let found = blocking(&service, move |s| {
        let Some(h) = s.offer_handout(&slug, &id, 0)? else {
            return Err(AdminError::NotFound("offer"));
        };
        let achievement = queries::achievement(s.directory(), &slug, &h.achievement_id)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        Ok((h, achievement))
    })
    .await;
    let (h, achievement) = match found {
        Ok(found) => found,
        Err(e) => return error_page(&e),
    };
    page(
        StatusCode::OK,
        &Issued {
            heading: if h.state == "offered" {
                "Offer ready to hand over"
            } else {
                "Offer"
            },
            notice,
            recipient: h.name,
            achievement,
            state: h.state,
            // Same origin as the console: the path, not the public URL (the CSP allows 'self').
            qr: format!("/issuers/{}/claim/{}/qr.svg", session.slug, h.offer_id),
            pin: h.pin.map(|p| p.expose_secret().to_owned()),
            claim_page: h.claim_page,
            offer_url: h.offer_url,
            expires: human_time(&h.expires_at),
            layout: session.layout(Section::Issue),
        },
    )
}

/// Where a created offer is shown (post-redirect-get).
pub(crate) fn to_offer(session: &StaffSession, offer_id: &str, notice: &str) -> Response {
    Redirect::to(&format!(
        "/console/{}/offers/{offer_id}?notice={notice}",
        session.slug
    ))
    .into_response()
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
        Ok((_, offer)) => to_offer(&session, &offer.id, "created"),
        Err(AdminError::Invalid(why)) => refuse(&why).await,
        Err(AdminError::NotFound(_)) => refuse("Choose an achievement from the list.").await,
        Err(e) => error_page(&e),
    }
}
