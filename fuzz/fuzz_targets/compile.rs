//! Fuzz target `compile`: see `verdict::fuzzing::compile`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::compile(data));
