//! Reading a posted console form: `application/x-www-form-urlencoded` or
//! `multipart/form-data` (the forms with an image upload), into one [`Form`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages::message;
use crate::web::multipart;

/// Largest text field kept, in bytes; longer values are refused (not cut).
pub(crate) const MAX_FIELD: usize = 16 * 1024;

/// An uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    /// The file name the browser sent.
    pub(crate) filename: String,
    /// The bytes.
    pub(crate) bytes: Vec<u8>,
}

/// A posted form's text fields (in order, repeated names kept) and files.
#[derive(Debug, Default)]
pub(crate) struct Form {
    fields: Vec<(String, String)>,
    files: Vec<(String, Upload)>,
}

/// Why a body is not a form the console can read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FormError {
    /// Neither urlencoded nor multipart.
    #[error("the request is not a form")]
    NotAForm,
    /// The multipart body could not be parsed, or a text field is not UTF-8.
    #[error("the form could not be read")]
    Malformed,
    /// A text field is longer than [`MAX_FIELD`].
    #[error("a field is too long")]
    FieldTooLong,
    /// The body is larger than the route accepts.
    #[error("the upload is too large")]
    TooLarge,
}

impl IntoResponse for FormError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::NotAForm => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Malformed | Self::FieldTooLong => StatusCode::BAD_REQUEST,
        };
        message(
            status,
            "The form could not be read",
            &format!(
                "{}. Go back and try again; nothing was changed.",
                capital(&self.to_string())
            ),
        )
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl Form {
    /// Reads `body` as the form its content type says.
    pub(crate) fn read(
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Self, FormError> {
        let body = body.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                FormError::TooLarge
            } else {
                FormError::Malformed
            }
        })?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let mut form = Self::default();
        match essence.as_str() {
            "application/x-www-form-urlencoded" => {
                for (name, value) in url::form_urlencoded::parse(&body) {
                    form.push_field(name.into_owned(), value.into_owned())?;
                }
            }
            "multipart/form-data" => {
                let boundary =
                    multipart::boundary(content_type).map_err(|_| FormError::Malformed)?;
                for part in multipart::parse(&body, &boundary).map_err(|_| FormError::Malformed)? {
                    match part.filename {
                        Some(filename) => form.files.push((
                            part.name,
                            Upload {
                                filename,
                                bytes: part.value,
                            },
                        )),
                        None => {
                            let value =
                                String::from_utf8(part.value).map_err(|_| FormError::Malformed)?;
                            form.push_field(part.name, value)?;
                        }
                    }
                }
            }
            _ => return Err(FormError::NotAForm),
        }
        Ok(form)
    }

    fn push_field(&mut self, name: String, value: String) -> Result<(), FormError> {
        if value.len() > MAX_FIELD {
            return Err(FormError::FieldTooLong);
        }
        // Browsers send CRLF in textareas; store what people typed.
        self.fields.push((name, value.replace("\r\n", "\n")));
        Ok(())
    }

    /// The first value of field `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of field `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The uploaded file `name`, if one was chosen (browsers send an empty part otherwise).
    pub(crate) fn file(&self, name: &str) -> Option<&Upload> {
        self.files
            .iter()
            .find(|(n, f)| n == name && !(f.filename.is_empty() && f.bytes.is_empty()))
            .map(|(_, f)| f)
    }

    /// The hidden `csrf` field.
    pub(crate) fn csrf(&self) -> Option<&str> {
        self.get("csrf")
    }
}
