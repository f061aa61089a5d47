//! rosette-qr behaviour: round trips through every output, the photo-like JPEG, limits, and
//! hostile input.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use rosette_qr::{
    ErrorCorrection, Options, QUIET_ZONE, QrDecodeError, QrError, decode_image, png, png_with, svg,
    svg_with, terminal,
};

/// An offer URL of exactly `len` characters, shaped like an OID4VCI offer passed by value.
fn offer_url(len: usize) -> String {
    let head = "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fissuer.example.org%22%2C%22credential_configuration_ids%22%3A%5B%22OpenBadgeCredential%22%5D%2C%22grants%22%3A%7B%22urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code%22%3A%7B%22pre-authorized_code%22%3A%22";
    let tail = "%22%7D%7D%7D";
    let mut s = head.to_owned();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0usize;
    while s.len() + tail.len() < len {
        s.push(alphabet[(i * 7 + 3) % alphabet.len()] as char);
        i += 1;
    }
    s.push_str(tail);
    s.truncate(len.max(80));
    s
}

/// Deterministic noise without a dependency (xorshift).
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

/// The QR PNG for `data`, scaled, rotated 90°, placed on a larger noisy grey background and
/// re-encoded as JPEG (quality 80): a stand-in for a phone photo.
fn jpeg_photo(data: &str, side: u32) -> Vec<u8> {
    let qr = image::load_from_memory(&png(data, side / 3).unwrap())
        .unwrap()
        .into_luma8();
    let scaled = image::imageops::resize(
        &qr,
        qr.width() * 5 / 4,
        qr.height() * 5 / 4,
        image::imageops::FilterType::Triangle,
    );
    let rotated = image::imageops::rotate90(&scaled);
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut bg = RgbImage::from_fn(side, side * 3 / 4, |_, _| {
        let n = noise.next() / 4;
        Rgb([100 + n, 110 + n, 105 + n])
    });
    let (ox, oy) = (side / 5, side / 10);
    for (x, y, p) in rotated.enumerate_pixels() {
        // Slight grey cast and noise on the code itself, like paper under room light.
        let v = (f32::from(p.0[0]) * 0.75 + 30.0 + f32::from(noise.next() % 24)) as u8;
        if x + ox < bg.width() && y + oy < bg.height() {
            bg.put_pixel(x + ox, y + oy, Rgb([v, v, v.saturating_sub(8)]));
        }
    }
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&bg)
        .unwrap();
    out
}

/// Modules (quiet zone included) recovered from our own SVG path syntax.
fn svg_modules(svg: &str) -> (usize, Vec<bool>) {
    let vb = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
    let side: usize = vb.split(' ').next().unwrap().parse().unwrap();
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut grid = vec![false; side * side];
    for run in d.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = run.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        let w: usize = rest.split('v').next().unwrap().parse().unwrap();
        for cell in &mut grid[y * side + x..y * side + x + w] {
            *cell = true;
        }
    }
    (side, grid)
}

/// Modules recovered from the terminal half-block rendering.
fn terminal_modules(text: &str) -> (usize, Vec<bool>) {
    let rows: Vec<Vec<char>> = text
        .lines()
        .map(|l| {
            l.trim_start_matches("\x1b[30;107m")
                .trim_end_matches("\x1b[0m")
                .chars()
                .collect()
        })
        .collect();
    let side = rows[0].len();
    let mut grid = vec![false; side * side];
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), side, "every line is as wide as the symbol");
        for (x, c) in row.iter().enumerate() {
            let (top, bottom) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected char {other:?}"),
            };
            grid[2 * r * side + x] = top;
            if 2 * r + 1 < side {
                grid[(2 * r + 1) * side + x] = bottom;
            } else {
                assert!(
                    !bottom,
                    "padding row below an odd-height symbol stays light"
                );
            }
        }
    }
    (side, grid)
}

/// A PNG of a module grid, 6 px per module.
fn raster(side: usize, grid: &[bool]) -> Vec<u8> {
    let img = GrayImage::from_fn((side * 6) as u32, (side * 6) as u32, |x, y| {
        Luma([if grid[(y as usize / 6) * side + x as usize / 6] {
            0
        } else {
            255
        }])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn assert_light_border(side: usize, grid: &[bool]) {
    for i in 0..side {
        for q in 0..QUIET_ZONE {
            assert!(!grid[q * side + i] && !grid[(side - 1 - q) * side + i]);
            assert!(!grid[i * side + q] && !grid[i * side + side - 1 - q]);
        }
    }
}

#[test]
fn png_round_trip_offer_urls_80_to_1500_chars() {
    for len in [80, 138, 300, 600, 1000, 1500] {
        let url = offer_url(len);
        assert_eq!(url.len(), len);
        let bytes = png(&url, 400).unwrap();
        assert_eq!(decode_image(&bytes).unwrap(), vec![url], "len {len}");
    }
}

#[test]
fn png_has_requested_minimum_size_and_whole_modules() {
    let url = offer_url(138);
    for min in [0, 100, 300, 1000] {
        let img = image::load_from_memory(&png(&url, min).unwrap())
            .unwrap()
            .into_luma8();
        assert!(img.width() >= min && img.width() == img.height());
        // Version 8 at M is 49 modules + 2×4 quiet zone = 57.
        assert_eq!(img.width() % 57, 0, "min {min}");
    }
    assert_eq!(png(&url, 9000), Err(QrError::SizeTooLarge { min_px: 9000 }));
}

#[test]
fn svg_is_well_formed_accessible_and_round_trips() {
    for len in [80, 700, 1500] {
        let url = offer_url(len);
        let s = svg(&url).unwrap();
        let mut reader = quick_xml::Reader::from_str(&s);
        let mut elements = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    elements.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap())
                }
                _ => {}
            }
        }
        assert_eq!(elements, ["svg", "title", "rect", "path"]);
        assert!(s.contains("role=\"img\"") && s.contains("shape-rendering=\"crispEdges\""));
        assert!(s.contains("<title id=\"qr-title\">QR code</title>"));
        let width: usize = s
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(width >= 256);
        let (side, grid) = svg_modules(&s);
        assert_light_border(side, &grid);
        assert_eq!(decode_image(&raster(side, &grid)).unwrap(), vec![url]);
    }
}

#[test]
fn svg_title_is_escaped() {
    let mut opts = Options::default();
    opts.title = "Offer <b>&\"x\"\u{1}".to_owned();
    let s = svg_with("hello", &opts).unwrap();
    assert!(s.contains("<title id=\"qr-title\">Offer &lt;b&gt;&amp;&quot;x&quot; </title>"));
    let mut reader = quick_xml::Reader::from_str(&s);
    while reader.read_event().unwrap() != quick_xml::events::Event::Eof {}
}

#[test]
fn terminal_has_light_quiet_zone_and_round_trips() {
    for len in [80, 1500] {
        let url = offer_url(len);
        let t = terminal(&url).unwrap();
        assert!(
            t.lines()
                .all(|l| l.starts_with("\x1b[30;107m") && l.ends_with("\x1b[0m"))
        );
        let (side, grid) = terminal_modules(&t);
        assert_light_border(side, &grid);
        assert_eq!(decode_image(&raster(side, &grid)).unwrap(), vec![url]);
    }
}

#[test]
fn data_too_long_is_a_clear_error() {
    let m = offer_url(2331);
    assert!(
        png(&m, 0).is_ok(),
        "2331 bytes is the version-40 M capacity"
    );
    let err = svg(&offer_url(3000)).unwrap_err();
    assert_eq!(
        err,
        QrError::DataTooLong {
            len: 3000,
            ec_level: ErrorCorrection::Medium,
            max: 2331
        }
    );
    assert!(err.to_string().contains("3000 bytes"));
    assert!(matches!(
        terminal(&offer_url(3000)),
        Err(QrError::DataTooLong { .. })
    ));
    let high = Options::with_ec_level(ErrorCorrection::High);
    assert!(matches!(
        png_with(&offer_url(2000), 0, &high),
        Err(QrError::DataTooLong {
            len: 2000,
            ec_level: ErrorCorrection::High,
            max: 1273
        })
    ));
    let low = Options::with_ec_level(ErrorCorrection::Low);
    assert!(svg_with(&offer_url(2900), &low).is_ok());
}

#[test]
fn ec_level_option_changes_the_symbol() {
    let url = offer_url(138);
    let m = image::load_from_memory(&png(&url, 0).unwrap())
        .unwrap()
        .width();
    let h = image::load_from_memory(
        &png_with(&url, 0, &Options::with_ec_level(ErrorCorrection::High)).unwrap(),
    )
    .unwrap()
    .width();
    assert!(h > m, "H needs a larger version than M");
    let bytes = png_with(&url, 300, &Options::with_ec_level(ErrorCorrection::High)).unwrap();
    assert_eq!(decode_image(&bytes).unwrap(), vec![url]);
}

#[test]
fn decodes_jpeg_photo_scaled_rotated_on_noisy_background() {
    for (len, side) in [(138, 1600), (400, 1600), (138, 3000)] {
        let url = offer_url(len);
        let jpeg = jpeg_photo(&url, side);
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "really a JPEG");
        assert_eq!(
            decode_image(&jpeg).unwrap(),
            vec![url],
            "len {len} side {side}"
        );
    }
}

#[test]
fn finds_every_code_in_one_image() {
    let a = image::load_from_memory(&png("https://a.example/1", 200).unwrap())
        .unwrap()
        .into_luma8();
    let b = image::load_from_memory(
        &png("openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr", 200).unwrap(),
    )
    .unwrap()
    .into_luma8();
    let mut canvas = GrayImage::from_pixel(
        a.width() + b.width() + 40,
        a.height().max(b.height()) + 40,
        Luma([255]),
    );
    image::imageops::overlay(&mut canvas, &a, 10, 20);
    image::imageops::overlay(&mut canvas, &b, i64::from(a.width()) + 30, 20);
    let mut out = Cursor::new(Vec::new());
    canvas.write_to(&mut out, ImageFormat::Png).unwrap();
    let mut found = decode_image(&out.into_inner()).unwrap();
    found.sort();
    assert_eq!(
        found,
        [
            "https://a.example/1",
            "openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr"
        ]
    );
}

#[test]
fn image_without_code_is_no_qr_found() {
    let mut noise = Noise(7);
    let img = GrayImage::from_fn(300, 200, |_, _| Luma([noise.next()]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    assert_eq!(
        decode_image(&out.into_inner()),
        Err(QrDecodeError::NoQrFound)
    );
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn refuses_images_over_40_megapixels_before_decoding() {
    // A valid PNG header claiming 8000×6000 (48 MP) with almost no data behind it.
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&8000u32.to_be_bytes());
    ihdr.extend_from_slice(&6000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // One tiny IDAT: the header parser reads up to the first data chunk.
    let idat = b"IDAT\x78\x9c";
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(idat);
    png.extend_from_slice(&crc32(idat).to_be_bytes());
    assert_eq!(
        decode_image(&png),
        Err(QrDecodeError::TooLarge {
            width: 8000,
            height: 6000
        })
    );
}

#[test]
fn garbage_input_is_an_error_not_a_panic() {
    assert_eq!(decode_image(b""), Err(QrDecodeError::NotAnImage));
    assert_eq!(
        decode_image(b"openid-credential-offer://?x"),
        Err(QrDecodeError::NotAnImage)
    );
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_eq!(decode_image(gif), Err(QrDecodeError::NotAnImage));
    let good = png("truncate me", 200).unwrap();
    for cut in [8, 20, 33, 60, good.len() / 2] {
        assert!(decode_image(&good[..cut]).is_err(), "cut {cut}");
    }
    // Missing only the IEND chunk's tail: the pixels are all there, so decoding may succeed.
    assert!(matches!(
        decode_image(&good[..good.len() - 1]),
        Ok(_) | Err(QrDecodeError::Corrupt(_))
    ));
    let jpeg = jpeg_photo("truncate me", 400);
    for cut in [2, 4, 100, jpeg.len() / 2] {
        let _ = decode_image(&jpeg[..cut]);
    }
    // Flipped bytes throughout a valid PNG and JPEG.
    let mut noise = Noise(42);
    for src in [&good, &jpeg] {
        for _ in 0..50 {
            let mut bad = src.clone();
            for _ in 0..8 {
                let i = (usize::from(noise.next()) << 8 | usize::from(noise.next())) % bad.len();
                bad[i] ^= noise.next() | 1;
            }
            let _ = decode_image(&bad);
        }
    }
}

#[test]
fn small_code_in_big_photo_is_found_by_the_finer_pass() {
    // 57 modules at 6 px = 342 px inside 3600×2400: under 2 px per module at the first
    // 1024 px pass, about 3.3 px at the 2048 px pass.
    let url = offer_url(138);
    let qr = image::load_from_memory(&png(&url, 340).unwrap())
        .unwrap()
        .into_luma8();
    let mut noise = Noise(99);
    let mut bg = RgbImage::from_fn(3600, 2400, |_, _| {
        let n = noise.next() / 4;
        Rgb([120 + n, 120 + n, 120 + n])
    });
    for (x, y, p) in qr.enumerate_pixels() {
        let v = p.0[0];
        bg.put_pixel(x + 1700, y + 1100, Rgb([v, v, v]));
    }
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&bg)
        .unwrap();
    assert_eq!(decode_image(&out).unwrap(), vec![url]);
}
