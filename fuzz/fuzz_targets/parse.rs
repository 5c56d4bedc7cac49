//! Fuzz target `parse`: see `verdict::fuzzing::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::parse(data));
