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
