//! The issued-credentials table (search, state filter, paging) and its per-row actions:
//! revoke, suspend, reinstate (the status service) and re-issue.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf;
use super::form::Form;
use super::issue::to_offer;
use super::layout::{ConsoleLayout, Section};
use super::pages::{blocking, error_page, page};
use super::queries::{self, CredentialPage, CredentialQuery, STATES};
use super::session::StaffSession;
use crate::issuer::{IssuerService, ReissueInput};
use crate::status::{StatusAction, StatusChange, StatusService};

#[derive(Template)]
#[template(path = "console/credentials.html")]
struct Credentials {
    layout: ConsoleLayout,
    notice: Option<&'static str>,
    q: String,
    states: Vec<(&'static str, bool)>,
    page: CredentialPage,
    current: usize,
    pages: usize,
    prev_href: String,
    next_href: String,
}

/// The query string, read leniently: unknown keys are ignored and junk values fall back to
/// the defaults (a hand-edited URL gets a page, not an error).
fn read_query(raw: Option<&str>) -> (CredentialQuery, Option<&'static str>) {
    let mut query = CredentialQuery {
        page: 1,
        ..CredentialQuery::default()
    };
    let mut notice = None;
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "q" if value.len() <= 320 => query.q = Some(value.into_owned()),
            "state" => {
                query.state = STATES
                    .iter()
                    .find(|s| **s == value)
                    .map(|s| (*s).to_owned())
            }
            "page" => query.page = value.parse().unwrap_or(1),
            "notice" => {
                notice = match value.as_ref() {
                    "revoked" => Some("The credential was revoked."),
                    "suspended" => Some("The credential was suspended."),
                    "reinstated" => Some("The credential was reinstated."),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    (query, notice)
}

fn href(base: &str, query: &CredentialQuery, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = &query.q {
        s.append_pair("q", q);
    }
    if let Some(state) = &query.state {
        s.append_pair("state", state);
    }
    s.append_pair("page", &page.to_string());
    format!("{base}/credentials?{}", s.finish())
}

/// `GET /console/{slug}/credentials?q=&state=&page=`.
pub(crate) async fn list(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    RawQuery(raw): RawQuery,
) -> Response {
    let (query, notice) = read_query(raw.as_deref());
    let slug = session.slug.clone();
    let found = {
        let query = query.clone();
        blocking(&service, move |s| {
            queries::credentials(s.directory(), &slug, &query)
        })
        .await
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return error_page(&e),
    };
    let layout = session.layout(Section::Credentials);
    let current = query.page.clamp(1, found.pages);
    let base = layout.base();
    page(
        StatusCode::OK,
        &Credentials {
            notice,
            q: query.q.clone().unwrap_or_default(),
            states: std::iter::once("")
                .chain(STATES)
                .map(|s| (s, query.state.as_deref().unwrap_or_default() == s))
                .collect(),
            pages: found.pages,
            current,
            prev_href: href(&base, &query, current.saturating_sub(1).max(1)),
            next_href: href(&base, &query, current + 1),
            page: found,
            layout,
        },
    )
}

/// `POST /console/{slug}/credentials/action`: `credential_id`, `action` (revoke, suspend,
/// reinstate, reissue), `reason`.
pub(crate) async fn action(
    State(service): State<Arc<IssuerService>>,
    State(status): State<Arc<StatusService>>,
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
    let credential_id = form.text("credential_id").unwrap_or_default().to_owned();
    let reason = form.text("reason").map(str::to_owned);
    let slug = session.slug.clone();
    let (status_action, notice) = match form.get("action") {
        // Revoking cannot be undone: the first post asks, the confirmed one revokes.
        Some("revoke") if form.get("confirm") != Some("yes") => {
            return confirm_revoke(&service, &session, credential_id, reason).await;
        }
        Some("revoke") => (StatusAction::Revoke, "revoked"),
        Some("renew") => {
            let offer_id = form.text("offer_id").unwrap_or_default().to_owned();
            return match blocking(&service, move |s| s.renew_offer(&slug, &offer_id)).await {
                Ok(offer) => to_offer(&session, &offer.id, "renewed"),
                Err(e) => error_page(&e),
            };
        }
        Some("suspend") => (StatusAction::Suspend, "suspended"),
        Some("reinstate") => (StatusAction::Reinstate, "reinstated"),
        Some("reissue") => {
            let reissued = blocking(&service, move |s| {
                s.reissue(&slug, &credential_id, ReissueInput::default())
            })
            .await;
            return match reissued {
                Ok(offer) => to_offer(&session, &offer.id, "reissued"),
                Err(e) => error_page(&e),
            };
        }
        _ => {
            return error_page(&crate::error::AdminError::Invalid("Unknown action.".into()));
        }
    };
    let changed = {
        let credential_id = credential_id.clone();
        blocking(&status, move |s| {
            s.change(
                &slug,
                StatusChange {
                    credential_id,
                    action: status_action,
                    reason,
                },
            )
        })
        .await
    };
    match changed {
        // Back to the whole list (not filtered to this one id), with the notice.
        Ok(_) => Redirect::to(&format!(
            "/console/{}/credentials?notice={notice}",
            session.slug
        ))
        .into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/confirm_revoke.html")]
struct ConfirmRevoke {
    layout: ConsoleLayout,
    credential_id: String,
    recipient: String,
    achievement: String,
    reason: String,
}

/// The question before a revocation: who, what, and that it is permanent.
async fn confirm_revoke(
    service: &Arc<IssuerService>,
    session: &StaffSession,
    credential_id: String,
    reason: Option<String>,
) -> Response {
    let slug = session.slug.clone();
    let id = credential_id.clone();
    let found = blocking(service, move |s| {
        let found = queries::credentials(
            s.directory(),
            &slug,
            &CredentialQuery {
                q: Some(id.clone()),
                state: None,
                page: 1,
            },
        )?;
        found
            .lines
            .into_iter()
            .find(|l| l.copies.iter().any(|(copy, _)| *copy == id))
            .ok_or(crate::error::AdminError::NotFound("credential"))
            .and_then(|line| {
                if line.can_revoke() {
                    Ok(line)
                } else {
                    Err(crate::error::AdminError::Invalid(format!(
                        "Credential {id} is already revoked."
                    )))
                }
            })
    })
    .await;
    match found {
        Ok(line) => page(
            StatusCode::OK,
            &ConfirmRevoke {
                layout: session.layout(Section::Credentials),
                credential_id,
                recipient: line.recipient,
                achievement: line.achievement,
                reason: reason.unwrap_or_default(),
            },
        ),
        Err(e) => error_page(&e),
    }
}
