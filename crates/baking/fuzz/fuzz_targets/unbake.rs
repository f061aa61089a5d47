#![no_main]
//! Neither unbaker may panic on any input; errors are fine.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rosette_baking::unbake_png(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = rosette_baking::unbake_svg(s);
    }
});
