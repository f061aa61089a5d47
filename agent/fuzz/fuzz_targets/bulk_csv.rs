#![no_main]
//! The bulk-issue CSV parser (uploads from the admin API, the console and `import-offers`)
//! must not panic on any input, and every row it returns names a line of the upload.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = rosette_agent::issuer::bulk::parse_csv(text) {
        let lines = text.lines().count();
        for row in rows {
            assert!(row.line >= 2 && row.line <= lines);
        }
    }
});
