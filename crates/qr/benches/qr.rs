//! Encode (SVG, PNG) and decode (400 px PNG, 1600 px JPEG photo) times.
//! Run: `cargo bench -p rosette-qr --bench qr`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

/// A by-reference offer URL (138 chars, version 8 at M) as the agent shows it.
const OFFER: &str = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.org%2Foffers%2F5f0c1e7a-9b7d-4d4e-8f4a-2b1c3d4e5f60%3Fv%3D1";

/// The QR rotated 90° on a noisy grey 1600×1200 background, JPEG quality 80.
fn photo() -> Vec<u8> {
    let qr = image::load_from_memory(&rosette_qr::png(OFFER, 500).unwrap())
        .unwrap()
        .into_luma8();
    let rotated = image::imageops::rotate90(&qr);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    };
    let mut bg = RgbImage::from_fn(1600, 1200, |_, _| {
        let n = noise() / 4;
        Rgb([100 + n, 110 + n, 105 + n])
    });
    for (x, y, p) in rotated.enumerate_pixels() {
        let v = (f32::from(p.0[0]) * 0.75 + 30.0 + f32::from(noise() % 24)) as u8;
        bg.put_pixel(x + 300, y + 150, Rgb([v, v, v.saturating_sub(8)]));
    }
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&bg)
        .unwrap();
    out
}

fn bench(c: &mut Criterion) {
    c.bench_function("encode svg (138 chars)", |b| {
        b.iter(|| rosette_qr::svg(black_box(OFFER)).unwrap())
    });
    c.bench_function("encode png 400px (138 chars)", |b| {
        b.iter(|| rosette_qr::png(black_box(OFFER), 400).unwrap())
    });
    let png = rosette_qr::png(OFFER, 400).unwrap();
    assert_eq!(rosette_qr::decode_image(&png).unwrap(), [OFFER]);
    c.bench_function("decode png 400px", |b| {
        b.iter(|| rosette_qr::decode_image(black_box(&png)).unwrap())
    });
    let jpeg = photo();
    assert_eq!(rosette_qr::decode_image(&jpeg).unwrap(), [OFFER]);
    c.bench_function("decode jpeg photo 1600px", |b| {
        b.iter(|| rosette_qr::decode_image(black_box(&jpeg)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
