//! Fuzz target `fmt`: see `verdict::fuzzing::fmt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::fmt(data));
