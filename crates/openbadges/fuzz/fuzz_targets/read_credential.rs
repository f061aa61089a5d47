//! bytes → parse → validate (all schema variants) → typed model must never panic.
//! Run: `cd crates/openbadges/fuzz && cargo +nightly fuzz run read_credential`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rosette_openbadges::validate::check_untrusted(data);
});
