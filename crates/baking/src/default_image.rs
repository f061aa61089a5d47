//! Default badge images for credentials that carry none.

/// Background colours; one is picked from the name so badges differ but stay stable.
const PALETTE: [(u8, u8, u8); 6] = [
    (0xb0, 0x3a, 0x2e),
    (0x1f, 0x6f, 0x8b),
    (0x3c, 0x8d, 0x2f),
    (0x7b, 0x3f, 0x9e),
    (0xc2, 0x7c, 0x0e),
    (0x2f, 0x4b, 0x7c),
];

fn colour(name: &str) -> (u8, u8, u8) {
    let h = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    PALETTE[(h as usize) % PALETTE.len()]
}

/// Up to two initials: the first letter of the first two words, upper-cased.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A round rosette (twelve petals around a disc) with the name's initials; the full name is
/// the accessible `<title>`. All text is XML-escaped.
pub fn default_badge_svg(name: &str) -> String {
    let (r, g, b) = colour(name);
    let fill = format!("#{r:02x}{g:02x}{b:02x}");
    let mut petals = String::new();
    for i in 0..12 {
        let angle = f64::from(i) * std::f64::consts::PI / 6.0;
        let (x, y) = (100.0 + 72.0 * angle.cos(), 100.0 + 72.0 * angle.sin());
        petals.push_str(&format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="24"/>"#));
    }
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200" role="img">"#,
            "<title>{title}</title>",
            r#"<g fill="{fill}" opacity="0.55">{petals}</g>"#,
            r#"<circle cx="100" cy="100" r="78" fill="{fill}"/>"#,
            r##"<circle cx="100" cy="100" r="66" fill="none" stroke="#ffffff" stroke-width="3"/>"##,
            r##"<text x="100" y="100" dy="0.35em" text-anchor="middle" font-family="sans-serif" font-size="56" font-weight="bold" fill="#ffffff">{initials}</text>"##,
            "</svg>"
        ),
        title = xml_escape(name),
        fill = fill,
        petals = petals,
        initials = xml_escape(&initials(name)),
    )
}

/// A 128×128 RGBA PNG of a flat disc in the name's colour on a transparent background.
pub fn default_badge_png(name: &str) -> Vec<u8> {
    const SIZE: u32 = 128;
    let (r, g, b) = colour(name);
    let mut raw = Vec::with_capacity(((SIZE * 4 + 1) * SIZE) as usize);
    let c = f64::from(SIZE) / 2.0;
    for y in 0..SIZE {
        raw.push(0); // filter: none
        for x in 0..SIZE {
            let (dx, dy) = (f64::from(x) + 0.5 - c, f64::from(y) + 0.5 - c);
            // One pixel of linear edge falloff keeps the rim smooth without real anti-aliasing.
            let cover = (c - 2.0 - (dx * dx + dy * dy).sqrt() + 0.5).clamp(0.0, 1.0);
            raw.extend_from_slice(&[r, g, b, (cover * 255.0).round() as u8]);
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&SIZE.to_be_bytes());
    ihdr.extend_from_slice(&SIZE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, adaptive, no interlace
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    crate::png::write_chunk(&mut out, b"IHDR", &ihdr);
    crate::png::write_chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9),
    );
    crate::png::write_chunk(&mut out, b"IEND", &[]);
    out
}
