//! QR codes of offer URLs, through `rosette-qr`.

pub use rosette_qr::QrError;

/// The QR code of `text` as an SVG document.
pub fn svg(text: &str) -> Result<String, QrError> {
    rosette_qr::svg(text)
}

/// The QR code of `text` as text for a terminal.
pub fn terminal(text: &str) -> Result<String, QrError> {
    rosette_qr::terminal(text)
}

/// The QR code of `text` as a PNG image, at least 320 pixels wide.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    rosette_qr::png(text, 320)
}

/// Which image of a QR code a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QrImage {
    /// `image/svg+xml`.
    Svg,
    /// `image/png`.
    Png,
}

/// The HTTP response carrying the QR code of `text` as `image`, with `cache_control`.
pub(crate) fn http_response(
    text: &str,
    image: QrImage,
    cache_control: &'static str,
) -> Result<axum::response::Response, QrError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (content_type, body) = match image {
        QrImage::Svg => ("image/svg+xml", svg(text)?.into_bytes()),
        QrImage::Png => ("image/png", png(text)?),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache_control),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_decodes_to_exactly_the_offer_url() {
        let url = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2Fabc";
        let png = png(url).unwrap();
        assert_eq!(
            rosette_qr::decode_image(&png).unwrap(),
            vec![url.to_owned()]
        );
        assert!(svg(url).unwrap().contains("<svg"));
    }
}
