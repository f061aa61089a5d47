//! HTML pages of the verifier role (askama templates under `templates/verifier/`, escaped by
//! askama; no inline script, so the pages' CSP holds). The request page shows the QR code
//! while pending; `/assets/verify.js` polls `…/present/{transaction_id}/result` and puts the
//! verdict ([`super::verdict::VerdictView`]) in place without a reload.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::service::PollAnswer;
use super::verdict::VerdictView;

#[derive(Template)]
#[template(path = "verifier/not_found.html")]
struct NotFound;

/// Page for an unknown, expired or foreign transaction (404).
pub(crate) fn not_found() -> Response {
    crate::web::ui::render(StatusCode::NOT_FOUND, &NotFound)
}

#[derive(Template)]
#[template(path = "verifier/new_request.html")]
struct NewRequest<'a> {
    institution: &'a str,
    api: String,
    /// Where the form posts without the page's script (the token goes in the body).
    action: String,
    /// Why the last post failed.
    error: Option<String>,
    /// The formats' names, from the one label layer.
    ldp_label: String,
    jwt_label: String,
}

/// The form that creates a presentation request through the admin API (token typed in; it
/// stays in the browser and goes only to this server in the `Authorization` header).
pub(crate) fn new_request(slug: &str, institution: &str) -> Response {
    new_request_with(StatusCode::OK, slug, institution, None)
}

/// The form again, with why the post failed.
pub(crate) fn new_request_with(
    status: StatusCode,
    slug: &str,
    institution: &str,
    error: Option<String>,
) -> Response {
    crate::web::ui::render(
        status,
        &NewRequest {
            institution,
            action: format!("/verifiers/{slug}/new"),
            error,
            api: format!("/verifiers/{slug}/admin/presentation-requests"),
            ldp_label: super::labels::format("ldp_vc"),
            jwt_label: super::labels::format("jwt_vc_json"),
        },
    )
}

#[derive(Template)]
#[template(path = "verifier/present.html")]
struct Present<'a> {
    institution: &'a str,
    status: &'a str,
    base: String,
    result_url: String,
    request_url: &'a str,
    expires_at: String,
    verdict: Option<String>,
}

/// `{status, html}` of a request: the verdict fragment once the wallet has answered.
pub(crate) fn result_json(answer: &PollAnswer) -> serde_json::Value {
    serde_json::json!({
        "status": answer.status,
        "html": answer.result.as_ref().map(|r| VerdictView::from_result(r).html()),
    })
}

/// The request page: the QR code while pending, then the verdict.
pub(crate) fn present(
    slug: &str,
    transaction_id: &str,
    institution: &str,
    answer: &PollAnswer,
) -> Response {
    let base = format!("/verifiers/{slug}/present/{transaction_id}");
    crate::web::ui::render(
        StatusCode::OK,
        &Present {
            institution,
            status: answer.status,
            result_url: format!("{base}/result"),
            base,
            request_url: &answer.request_url,
            expires_at: super::labels::date_time(&answer.expires_at),
            verdict: answer
                .result
                .as_ref()
                .map(|r| VerdictView::from_result(r).html()),
        },
    )
}
