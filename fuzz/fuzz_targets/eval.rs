//! Fuzz target `eval`: see `verdict::fuzzing::eval`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::eval(data));
