//! Console pages of achievements: list, create, edit (with image upload), archive.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::csrf;
use super::form::{Form, Upload};
use super::layout::{ConsoleLayout, Section};
use super::pages::{blocking, error_page, page};
use super::queries;
use super::session::StaffSession;
use crate::error::AdminError;
use crate::issuer::records::AchievementRow;
use crate::issuer::{AchievementInput, Criteria, IssuerService};

/// Largest achievement image, in bytes.
pub(crate) const MAX_IMAGE: usize = 256 * 1024;
/// Most alignment targets one form takes.
const MAX_ALIGNMENTS: usize = 20;
/// Most tags one achievement takes.
const MAX_TAGS: usize = 50;
/// The `achievementType` values offered (Open Badges 3.0 AchievementType, a common subset).
const TYPES: [&str; 10] = [
    "",
    "Achievement",
    "Badge",
    "Certificate",
    "Certification",
    "Competency",
    "Course",
    "Diploma",
    "License",
    "MicroCredential",
];

/// The `{id}` of an achievement route; a path that is not UTF-8 is an unknown achievement (404
/// page), not axum's plain-text 400.
#[derive(Debug)]
pub(crate) struct AchievementId(String);

impl<S: Send + Sync> FromRequestParts<S> for AchievementId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(name, _)| *name == "id")
                    .map(|(_, value)| Self(value.to_owned()))
            })
            .ok_or_else(|| error_page(&AdminError::NotFound("achievement")))
    }
}

/// One line of the list.
#[derive(Debug)]
struct Row {
    id: String,
    /// The readable key a bulk CSV may use instead of the id.
    key: String,
    name: String,
    description: String,
    image: Option<String>,
    tags: String,
    validity: String,
    archived: bool,
    /// The criteria narrative, Markdown rendered and sanitised.
    criteria_html: String,
    /// The skills the achievement aligns to: (name, URL).
    skills: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/achievements.html")]
struct List {
    layout: ConsoleLayout,
    notice: Option<&'static str>,
    rows: Vec<Row>,
}

/// The confirmation a redirect after a save asks for (`?notice=`).
fn notice_of(raw: Option<&str>) -> Option<&'static str> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "notice")
        .and_then(|(_, v)| match v.as_ref() {
            "created" => Some("Achievement created."),
            "saved" => Some("Changes saved."),
            "archived" => Some("Achievement archived: it can no longer be issued."),
            _ => None,
        })
}

/// `GET /console/{slug}/achievements`.
pub(crate) async fn list(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let notice = notice_of(raw.as_deref());
    let slug = session.slug.clone();
    match blocking(&service, move |s| {
        queries::achievements(s.directory(), &slug)
    })
    .await
    {
        Ok(rows) => page(
            StatusCode::OK,
            &List {
                notice,
                layout: session.layout(Section::Achievements),
                rows: rows
                    .into_iter()
                    .map(|r| Row {
                        image: shown_image(r.image.as_deref()),
                        tags: r.tags.join(", "),
                        validity: r
                            .validity_days
                            .map_or_else(|| "no expiry".to_owned(), |d| format!("{d} days")),
                        id: r.id.clone(),
                        key: crate::issuer::bulk::achievement_key(&r.name),
                        name: r.name.clone(),
                        description: r.description.clone(),
                        archived: r.archived,
                        criteria_html: r.criteria["narrative"]
                            .as_str()
                            .map(crate::web::markdown::to_safe_html)
                            .unwrap_or_default(),
                        skills: r
                            .alignment
                            .iter()
                            .map(|a| {
                                let text = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
                                (text("targetName"), text("targetUrl"))
                            })
                            .collect(),
                    })
                    .collect(),
            },
        ),
        Err(e) => error_page(&e),
    }
}

/// `GET /console/{slug}/achievements/{id}/template.csv`: a bulk CSV for this achievement
/// (header, two example rows naming it by key) to fill in.
pub(crate) async fn template_csv(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    AchievementId(id): AchievementId,
) -> Response {
    let slug = session.slug.clone();
    let found = blocking(&service, move |s| {
        queries::achievements(s.directory(), &slug)
            .map(|rows| rows.into_iter().find(|r| r.id == id && !r.archived))
    })
    .await;
    let row = match found {
        Ok(Some(row)) => row,
        Ok(None) => return error_page(&AdminError::NotFound("achievement")),
        Err(e) => return error_page(&e),
    };
    let key = crate::issuer::bulk::achievement_key(&row.name);
    let body = format!(
        "name,email,achievement_id,pin\r\nAda Lovelace,ada@example.org,{key},true\r\n\
         Alan Turing,,{key},false\r\n"
    );
    let mut response = (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bulk-{key}.csv\""),
            ),
        ],
        body,
    )
        .into_response();
    super::pages::no_store(&mut response);
    response
}

/// Only images the page can show without loading anything from elsewhere.
fn shown_image(image: Option<&str>) -> Option<String> {
    image
        .filter(|i| i.starts_with("data:image/") || i.starts_with('/'))
        .map(str::to_owned)
}

/// An alignment target as the form shows it.
#[derive(Debug, Clone, Default)]
struct AlignmentValues {
    name: String,
    url: String,
    framework: String,
    code: String,
}

/// The form's values (as typed, so a refused form comes back filled in).
#[derive(Debug, Clone, Default)]
struct Values {
    name: String,
    description: String,
    narrative: String,
    criteria_url: String,
    tags: String,
    achievement_type: String,
    validity_days: String,
    alignments: Vec<AlignmentValues>,
}

impl Values {
    fn of(row: &AchievementRow) -> Self {
        let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Self {
            name: row.name.clone(),
            description: row.description.clone(),
            narrative: text(&row.criteria, "narrative"),
            criteria_url: text(&row.criteria, "id"),
            tags: row.tags.join(", "),
            achievement_type: row.achievement_type.clone().unwrap_or_default(),
            validity_days: row.validity_days.map(|d| d.to_string()).unwrap_or_default(),
            alignments: row
                .alignment
                .iter()
                .map(|a| AlignmentValues {
                    name: text(a, "targetName"),
                    url: text(a, "targetUrl"),
                    framework: text(a, "targetFramework"),
                    code: text(a, "targetCode"),
                })
                .collect(),
        }
    }

    fn from_form(form: &Form) -> Self {
        let text = |k: &str| form.get(k).unwrap_or_default().trim().to_owned();
        let names = form.all("align_name");
        let urls = form.all("align_url");
        let frameworks = form.all("align_framework");
        let codes = form.all("align_code");
        let rows = names.len().max(urls.len()).min(MAX_ALIGNMENTS + 1);
        let at =
            |list: &[&str], i: usize| list.get(i).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            name: text("name"),
            description: text("description"),
            narrative: text("narrative"),
            criteria_url: text("criteria_url"),
            tags: text("tags"),
            achievement_type: text("achievement_type"),
            validity_days: text("validity_days"),
            alignments: (0..rows)
                .map(|i| AlignmentValues {
                    name: at(&names, i),
                    url: at(&urls, i),
                    framework: at(&frameworks, i),
                    code: at(&codes, i),
                })
                .filter(|a| {
                    !(a.name.is_empty()
                        && a.url.is_empty()
                        && a.framework.is_empty()
                        && a.code.is_empty())
                })
                .collect(),
        }
    }

    /// The service input, or what is wrong with the form.
    fn input(&self, image: Option<String>) -> Result<AchievementInput, String> {
        if self.name.is_empty() {
            return Err("Give the achievement a name.".into());
        }
        if self.description.is_empty() {
            return Err("Give the achievement a description.".into());
        }
        if self.narrative.is_empty() && self.criteria_url.is_empty() {
            return Err("Describe the criteria, or give the URL of a page that does.".into());
        }
        if !self.criteria_url.is_empty() && url::Url::parse(&self.criteria_url).is_err() {
            return Err("The criteria page URL is not a valid URL.".into());
        }
        let tags: Vec<String> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if tags.len() > MAX_TAGS {
            return Err(format!("At most {MAX_TAGS} tags."));
        }
        if self.alignments.len() > MAX_ALIGNMENTS {
            return Err(format!("At most {MAX_ALIGNMENTS} alignment targets."));
        }
        let mut alignment = Vec::new();
        for a in &self.alignments {
            if a.name.is_empty() || a.url.is_empty() {
                return Err("Each alignment target needs a name and a URL.".into());
            }
            if url::Url::parse(&a.url).is_err() {
                return Err(format!(
                    "The URL of alignment target \u{201c}{}\u{201d} is not a valid URL.",
                    a.name
                ));
            }
            let mut object =
                json!({"type": ["Alignment"], "targetName": a.name, "targetUrl": a.url});
            if let Some(o) = object.as_object_mut() {
                if !a.framework.is_empty() {
                    o.insert("targetFramework".into(), json!(a.framework));
                }
                if !a.code.is_empty() {
                    o.insert("targetCode".into(), json!(a.code));
                }
            }
            alignment.push(object);
        }
        let validity_days = if self.validity_days.is_empty() {
            None
        } else {
            match self.validity_days.parse::<u32>() {
                Ok(days) if (1..=36_500).contains(&days) => Some(days),
                _ => {
                    return Err(
                        "Valid for must be a number of days from 1 to 36500, or blank.".into(),
                    );
                }
            }
        };
        if !TYPES.contains(&self.achievement_type.as_str()) {
            return Err("Choose a type from the list.".into());
        }
        Ok(AchievementInput {
            name: self.name.clone(),
            description: self.description.clone(),
            criteria: Criteria {
                narrative: (!self.narrative.is_empty()).then(|| self.narrative.clone()),
                id: (!self.criteria_url.is_empty()).then(|| self.criteria_url.clone()),
            },
            image,
            tags,
            alignment,
            result_descriptions: Vec::new(),
            achievement_type: (!self.achievement_type.is_empty())
                .then(|| self.achievement_type.clone()),
            validity_days,
        })
    }
}

/// The upload as a `data:` URI, if it is a PNG, JPEG or SVG image of at most [`MAX_IMAGE`].
pub(crate) fn image_data_uri(upload: &Upload) -> Result<String, String> {
    let bytes = &upload.bytes;
    if bytes.len() > MAX_IMAGE {
        return Err("The image is larger than 256 KiB.".into());
    }
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if is_svg(bytes) {
        "image/svg+xml"
    } else {
        return Err("The image must be a PNG, JPEG or SVG file.".into());
    };
    Ok(format!("data:{mime};base64,{}", STANDARD.encode(bytes)))
}

fn is_svg(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let head: String = text
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<svg")
}

#[derive(Template)]
#[template(path = "console/achievement_form.html")]
struct FormPage {
    layout: ConsoleLayout,
    heading: &'static str,
    action: String,
    v: Values,
    types: Vec<(&'static str, bool)>,
    current_image: Option<String>,
    error: Option<String>,
}

fn form_page(
    session: &StaffSession,
    status: StatusCode,
    editing: Option<&str>,
    mut v: Values,
    current_image: Option<String>,
    error: Option<String>,
) -> Response {
    let layout = session.layout(Section::Achievements);
    // One empty target row to add another.
    v.alignments.push(AlignmentValues::default());
    let types = TYPES
        .iter()
        .map(|t| (*t, *t == v.achievement_type))
        .collect();
    let (heading, action) = match editing {
        Some(id) => (
            "Edit achievement",
            format!("{}/achievements/{id}/edit", layout.base()),
        ),
        None => (
            "New achievement",
            format!("{}/achievements/new", layout.base()),
        ),
    };
    page(
        status,
        &FormPage {
            heading,
            action,
            v,
            types,
            current_image,
            error,
            layout,
        },
    )
}

/// `GET /console/{slug}/achievements/new`.
pub(crate) async fn new_form(session: StaffSession) -> Response {
    form_page(
        &session,
        StatusCode::OK,
        None,
        Values::default(),
        None,
        None,
    )
}

/// `POST /console/{slug}/achievements/new`.
pub(crate) async fn create(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    save(service, session, None, headers, body).await
}

/// `GET /console/{slug}/achievements/{id}/edit`.
pub(crate) async fn edit_form(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    AchievementId(id): AchievementId,
) -> Response {
    let slug = session.slug.clone();
    let found = {
        let id = id.clone();
        blocking(&service, move |s| {
            queries::achievement(s.directory(), &slug, &id)
        })
        .await
    };
    match found {
        Ok(row) if !row.archived => form_page(
            &session,
            StatusCode::OK,
            Some(&row.id),
            Values::of(&row),
            shown_image(row.image.as_deref()),
            None,
        ),
        Ok(_) => error_page(&AdminError::Invalid("This achievement is archived.".into())),
        Err(e) => error_page(&e),
    }
}

/// `POST /console/{slug}/achievements/{id}/edit`.
pub(crate) async fn update(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    AchievementId(id): AchievementId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    save(service, session, Some(id), headers, body).await
}

async fn save(
    service: Arc<IssuerService>,
    session: StaffSession,
    id: Option<String>,
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
    let slug = session.slug.clone();
    // The current image (edit): kept unless replaced or removed.
    let existing = match &id {
        Some(id) => {
            let (slug, id) = (slug.clone(), id.clone());
            match blocking(&service, move |s| {
                queries::achievement(s.directory(), &slug, &id)
            })
            .await
            {
                Ok(row) if !row.archived => Some(row),
                Ok(_) => {
                    return error_page(&AdminError::Invalid(
                        "This achievement is archived.".into(),
                    ));
                }
                Err(e) => return error_page(&e),
            }
        }
        None => None,
    };
    let current = existing.as_ref().and_then(|r| r.image.clone());
    let values = Values::from_form(&form);
    let refuse = |why: String, values: Values| {
        form_page(
            &session,
            StatusCode::BAD_REQUEST,
            id.as_deref(),
            values,
            shown_image(current.as_deref()),
            Some(why),
        )
    };
    let image = match form.file("image") {
        Some(upload) => match image_data_uri(upload) {
            Ok(uri) => Some(uri),
            Err(why) => return refuse(why, values),
        },
        None if form.get("remove_image").is_some() => None,
        None => current.clone(),
    };
    let input = match values.input(image) {
        Ok(input) => input,
        Err(why) => return refuse(why, values),
    };
    let saved = {
        let id = id.clone();
        blocking(&service, move |s| match id {
            Some(id) => s.update_achievement(&slug, &id, input),
            None => s.create_achievement(&slug, input),
        })
        .await
    };
    let notice = if id.is_some() { "saved" } else { "created" };
    match saved {
        Ok(_) => Redirect::to(&format!(
            "/console/{}/achievements?notice={notice}",
            session.slug
        ))
        .into_response(),
        Err(AdminError::Invalid(why)) => refuse(why, values),
        Err(e) => error_page(&e),
    }
}

/// `POST /console/{slug}/achievements/{id}/archive`.
pub(crate) async fn archive(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    AchievementId(id): AchievementId,
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
    let slug = session.slug.clone();
    let archived = blocking(&service, move |s| {
        queries::achievement(s.directory(), &slug, &id)?;
        s.archive_achievement(&slug, &id)
    })
    .await;
    match archived {
        Ok(_) => Redirect::to(&format!(
            "/console/{}/achievements?notice=archived",
            session.slug
        ))
        .into_response(),
        Err(e) => error_page(&e),
    }
}
