//! Staff sessions: sign-in with an institution's admin token (or the operator token), a
//! random session id in an `HttpOnly; SameSite=Strict` cookie, and a server-side record keyed
//! by the SHA-256 of the id with an idle expiry.
//!
//! [`StaffSession`] is the extractor every `/console/…` handler takes: it cannot be forgotten,
//! and it answers "sign in" (redirect) or 404 (another institution's console) by itself.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use rosette_core::SecretString;
use rosette_storage::{Record, Repo, StorageError, Table};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::layout::{ConsoleLayout, Section};
use super::pages::message;
use crate::directory::{Caller, Directory};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "rosette_console";
/// A session unused for this long (seconds) is over: 8 hours, a working day.
pub(crate) const IDLE_SECONDS: i64 = 8 * 3600;
/// `last_seen` is rewritten at most this often (seconds), so browsing is not one write per page.
const TOUCH_AFTER: i64 = 60;

/// A console session, stored under the SHA-256 of its id (the id itself is only in the cookie).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SessionRow {
    /// Lowercase hex SHA-256 of the session id.
    pub(crate) id_hash: String,
    /// The institution signed in to (an operator session may open any institution).
    pub(crate) slug: String,
    /// Signed in with the operator token.
    pub(crate) operator: bool,
    /// Per-session key of the CSRF synchronizer token (hex; never leaves the server).
    pub(crate) csrf_key: String,
    /// Unix seconds.
    pub(crate) created_at: i64,
    /// Unix seconds of the last request (within [`TOUCH_AFTER`]).
    pub(crate) last_seen: i64,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("slug", &self.slug)
            .field("operator", &self.operator)
            .field("last_seen", &self.last_seen)
            .finish_non_exhaustive()
    }
}

impl Drop for SessionRow {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.csrf_key);
    }
}

impl Record for SessionRow {
    const TABLE: Table = Table::new("console_sessions");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.id_hash.as_bytes().to_vec()
    }
}

/// A session id as handed to the browser (32 random bytes, base64url). Redacted in `Debug`,
/// zeroized on drop.
pub(crate) struct SessionId(String);

impl SessionId {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let id = URL_SAFE_NO_PAD.encode(bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        Self(id)
    }

    fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

impl Drop for SessionId {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// The CSRF token of a session: HMAC-SHA256(session's key, session id), hex.
fn csrf_token(key_hex: &str, id: &SessionId) -> SecretString {
    let key = hex::decode(key_hex).unwrap_or_default();
    // HMAC takes keys of any length, so this cannot fail; an empty key only if the row is corrupt.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
    mac.update(id.0.as_bytes());
    SecretString::new(hex::encode(mac.finalize().into_bytes()))
}

fn repo(service: &Directory) -> Repo<SessionRow> {
    Repo::new(Arc::clone(service.store()))
}

/// Starts a session for `caller` on `slug` (already authorised); returns the id for the cookie.
pub(crate) fn create(
    service: &Directory,
    slug: &str,
    caller: &Caller,
) -> Result<SessionId, StorageError> {
    let id = SessionId::generate();
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    let now = service.clock().now().unix();
    let row = SessionRow {
        id_hash: id.hash(),
        slug: slug.to_owned(),
        operator: *caller == Caller::Operator,
        csrf_key: hex::encode(key),
        created_at: now,
        last_seen: now,
    };
    zeroize::Zeroize::zeroize(&mut key);
    let sessions = repo(service);
    sessions.put(&row)?;
    sweep(&sessions, now)?;
    Ok(id)
}

/// Sessions looked at (and dropped when idle too long) per sign-in.
const SWEEP_BATCH: usize = 32;

/// Drops idle sessions from a random point of the table (keys are uniform hashes), so
/// sessions nobody signs out of do not pile up and no sign-in pays for the whole table.
fn sweep(sessions: &Repo<SessionRow>, now: i64) -> Result<(), StorageError> {
    let mut start = [0u8; 32];
    OsRng.fill_bytes(&mut start);
    let start = hex::encode(start);
    for (key, row) in sessions.scan(b"", Some(start.as_bytes()), SWEEP_BATCH)? {
        if now.saturating_sub(row.last_seen) > IDLE_SECONDS {
            sessions.remove(&key)?;
        }
    }
    Ok(())
}

/// Ends the session (its record is deleted; the cookie is worthless from now on).
pub(crate) fn destroy(service: &Directory, session: &StaffSession) -> Result<(), StorageError> {
    repo(service).remove(session.id_hash.as_bytes()).map(drop)
}

/// `Set-Cookie` for a new session.
pub(crate) fn cookie(service: &Directory, id: &SessionId) -> String {
    format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/console{}",
        id.0,
        secure(service)
    )
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(service: &Directory) -> String {
    format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0{}",
        secure(service)
    )
}

fn secure(service: &Directory) -> &'static str {
    if service.settings().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// The session id of the request's cookie, if any.
fn session_cookie(headers: &HeaderMap) -> Option<SessionId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty() && value.len() <= 64)
        .map(|(_, value)| SessionId(value.to_owned()))
}

/// A signed-in staff member, on the console of one institution.
///
/// Extracting it checks, in order: a session cookie whose record exists and is not idle for
/// longer than [`IDLE_SECONDS`] (else: redirect to `/console/login`), and, on a route with a
/// `{slug}` parameter, that the session may see that institution and that it exists (else:
/// 404, the same answer as an unknown institution). On routes without `{slug}` the session's
/// own institution is used.
pub(crate) struct StaffSession {
    /// The institution the page is about.
    pub(crate) slug: String,
    /// Its display name (for the header).
    pub(crate) institution: String,
    /// Who signed in: the operator, or the institution's admin.
    pub(crate) caller: Caller,
    /// The CSRF token every POST form of this session carries (see [`super::csrf`]).
    pub(crate) csrf: SecretString,
    /// Why phones may not reach the agent's links (see `Settings::phone_warning`).
    pub(crate) phone_warning: Option<String>,
    id_hash: String,
}

impl std::fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffSession")
            .field("slug", &self.slug)
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl StaffSession {
    /// The page layout (header, nav with `current` marked, CSRF token of the logout form).
    pub(crate) fn layout(&self, current: Section) -> ConsoleLayout {
        ConsoleLayout::new(self, current)
    }

    /// The CSRF token, for a hidden `csrf` field.
    pub(crate) fn csrf_token(&self) -> &str {
        self.csrf.expose_secret()
    }
}

/// Why a console request has no usable session.
#[derive(Debug)]
pub(crate) enum SessionRejection {
    /// No session, or it has ended: sign in first.
    SignIn,
    /// The session may not see this institution, or there is no such institution.
    NotFound,
    /// Storage failed.
    Internal,
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => {
                let mut response = Redirect::to("/console/login").into_response();
                // An ended session's cookie is useless: drop it (the path is all that matters).
                response.headers_mut().insert(
                    header::SET_COOKIE,
                    HeaderValue::from_static(
                        "rosette_console=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0",
                    ),
                );
                response
            }
            Self::NotFound => message(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such page in your console.",
            ),
            Self::Internal => message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The console could not read its data. Try again in a moment.",
            ),
        }
    }
}

impl<S> FromRequestParts<S> for StaffSession
where
    Arc<Directory>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let service = Arc::<Directory>::from_ref(state);
        let id = session_cookie(&parts.headers).ok_or(SessionRejection::SignIn)?;
        // A path that is not UTF-8 names no institution of ours.
        let path_slug = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| SessionRejection::NotFound)?
            .iter()
            .find(|(name, _)| *name == "slug")
            .map(|(_, value)| value.to_owned());
        // Session lookups are single-key reads (microseconds on either store), done inline
        // like the protocol steps rather than on the blocking pool.
        let store_failed = |e: StorageError| {
            tracing::error!(error = %e, "console session storage failed");
            SessionRejection::Internal
        };
        let sessions = repo(&service);
        let id_hash = id.hash();
        let row = sessions
            .get(id_hash.as_bytes())
            .map_err(store_failed)?
            .ok_or(SessionRejection::SignIn)?;
        let now = service.clock().now().unix();
        if now.saturating_sub(row.last_seen) > IDLE_SECONDS {
            sessions.remove(id_hash.as_bytes()).map_err(store_failed)?;
            return Err(SessionRejection::SignIn);
        }
        let slug = match path_slug {
            Some(slug) if row.operator || slug == row.slug => slug,
            Some(_) => return Err(SessionRejection::NotFound),
            None => row.slug.clone(),
        };
        let institution = service
            .institution(&slug)
            .map_err(store_failed)?
            .ok_or(SessionRejection::NotFound)?;
        if now.saturating_sub(row.last_seen) >= TOUCH_AFTER {
            let mut touched = row.clone();
            touched.last_seen = now;
            sessions.put(&touched).map_err(store_failed)?;
        }
        Ok(Self {
            csrf: csrf_token(&row.csrf_key, &id),
            caller: if row.operator {
                Caller::Operator
            } else {
                Caller::Institution(row.slug.clone())
            },
            slug,
            institution: institution.name.clone(),
            phone_warning: service.settings().phone_warning(),
            id_hash,
        })
    }
}
