//! The one check for text and URLs that staff, learners or API callers write and that ends up
//! in credentials and pages: display names and web URLs. Every write path (admin API, console,
//! bulk import, public pages) goes through these, so they cannot disagree.

use std::fmt;

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

/// Longest URL accepted in a credential or a page.
pub const MAX_URL_LEN: usize = 2000;

/// Why a display name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing but spaces.
    Empty,
    /// Longer than the field allows (in characters, after normalisation).
    TooLong {
        /// The field's limit.
        max: usize,
    },
    /// A control, format (bidi overrides, zero-width characters), line or paragraph separator,
    /// private-use or unassigned character, by its code point.
    Hidden(char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max } => write!(f, "must be at most {max} characters"),
            Self::Hidden(c) => write!(
                f,
                "contains the invisible or control character U+{:04X}, which could make the text \
                 show something other than what it says",
                u32::from(*c)
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// `text` as a display name: NFKC-normalised and trimmed, refused if it holds characters that
/// change how it reads without showing themselves (`"Alice \u{202e}gnp.exe"` shows as
/// "Alice exe.png"), or if it is empty or longer than `max` characters.
pub fn display_name(text: &str, max: usize) -> Result<String, NameError> {
    let normalized = ComposingNormalizerBorrowed::new_nfkc().normalize(text);
    let trimmed = normalized.trim();
    if trimmed.is_empty() {
        return Err(NameError::Empty);
    }
    let categories = CodePointMapData::<GeneralCategory>::new();
    if let Some(c) = trimmed.chars().find(|&c| {
        matches!(
            categories.get(c),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
                | GeneralCategory::PrivateUse
                | GeneralCategory::Surrogate
                | GeneralCategory::Unassigned
        )
    }) {
        return Err(NameError::Hidden(c));
    }
    if trimmed.chars().count() > max {
        return Err(NameError::TooLong { max });
    }
    Ok(trimmed.to_owned())
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// Not an absolute URL.
    NotAUrl,
    /// Another scheme than `https` or `http` (`javascript:`, `data:`, `file:` …).
    Scheme(String),
    /// User name or password in the URL.
    Credentials,
    /// Longer than [`MAX_URL_LEN`].
    TooLong,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAUrl => f.write_str("is not an absolute URL"),
            Self::Scheme(s) => write!(f, "must be an https:// or http:// URL (not {s}:)"),
            Self::Credentials => f.write_str("must not carry a user name or password"),
            Self::TooLong => write!(f, "must be at most {MAX_URL_LEN} characters"),
        }
    }
}

impl std::error::Error for UrlError {}

/// `text` as a web page address for a credential or a page: `https` or `http` only, so that a
/// link shown to a learner or an employer can never run script (`javascript:`) or reach a
/// local file. Returns the URL as the `url` crate normalises it.
pub fn web_url(text: &str) -> Result<String, UrlError> {
    let text = text.trim();
    if text.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let url = url::Url::parse(text).map_err(|_| UrlError::NotAUrl)?;
    match url.scheme() {
        "https" | "http" => {}
        other => return Err(UrlError::Scheme(other.chars().take(20).collect())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NotAUrl);
    }
    // Percent-encoding can make the normalised URL several times longer than the text
    // (found by the `text_fields` fuzz target): the limit applies to what is stored.
    let normalised: String = url.into();
    if normalised.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    Ok(normalised)
}

/// An image reference: a web URL as [`web_url`], or an embedded `data:image/png`,
/// `data:image/svg+xml` or `data:image/jpeg` URI (badge images are often embedded).
pub fn image_ref(text: &str) -> Result<String, UrlError> {
    let trimmed = text.trim();
    let lower = trimmed.get(..25).unwrap_or(trimmed).to_ascii_lowercase();
    if ["data:image/png", "data:image/svg+xml", "data:image/jpeg"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Ok(trimmed.to_owned());
    }
    web_url(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_override_in_display_names_is_refused() {
        for hidden in [
            "Alice \u{202e}gnp.exe",
            "Bob\u{200b}by",
            "Eve\u{2066}x\u{2069}",
            "Mallory\u{200f}",
            "Trent\u{feff}",
            "Zed\u{0007}",
            "line\u{2028}break",
            "private\u{e000}",
        ] {
            assert!(
                matches!(display_name(hidden, 200), Err(NameError::Hidden(_))),
                "{hidden:?}"
            );
        }
    }

    #[test]
    fn names_are_normalised_trimmed_and_bounded() {
        assert_eq!(
            display_name("  Ada  Lovelace ", 200).unwrap(),
            "Ada  Lovelace"
        );
        // NFKC: the "fi" ligature and full-width letters become plain letters.
        assert_eq!(display_name("\u{fb01}ona", 200).unwrap(), "fiona");
        assert_eq!(display_name("\u{ff21}da", 200).unwrap(), "Ada");
        assert_eq!(
            display_name("José Müller-Łukasz 李", 200).unwrap(),
            "José Müller-Łukasz 李"
        );
        assert_eq!(display_name("   ", 200), Err(NameError::Empty));
        assert_eq!(display_name("abcd", 3), Err(NameError::TooLong { max: 3 }));
    }

    #[test]
    fn javascript_urls_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "vbscript:msgbox",
        ] {
            assert!(matches!(web_url(bad), Err(UrlError::Scheme(_))), "{bad}");
        }
        assert_eq!(web_url("not a url"), Err(UrlError::NotAUrl));
        assert_eq!(
            web_url("https://u:p@example.org/"),
            Err(UrlError::Credentials)
        );
        assert_eq!(
            web_url(&format!("https://example.org/{}", "a".repeat(MAX_URL_LEN))),
            Err(UrlError::TooLong)
        );
        assert_eq!(
            web_url("https://example.org/criteria").unwrap(),
            "https://example.org/criteria"
        );
        assert!(image_ref("data:image/png;base64,iVBORw0KGgo=").is_ok());
        assert!(matches!(
            image_ref("data:text/html,x"),
            Err(UrlError::Scheme(_))
        ));
    }

    #[test]
    fn a_url_that_grows_past_the_limit_when_normalised_is_too_long() {
        // 1,419 bytes of text, 4,219 once percent-encoded.
        let text = format!("https://example.org/{}", "é".repeat(700));
        assert!(text.len() <= MAX_URL_LEN);
        assert_eq!(web_url(&text), Err(UrlError::TooLong));
        assert_eq!(image_ref(&text), Err(UrlError::TooLong));
    }
}
