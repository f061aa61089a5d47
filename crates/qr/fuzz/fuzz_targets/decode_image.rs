//! `decode_image` must return (Ok or Err) on any bytes, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rosette_qr::decode_image(data);
});
