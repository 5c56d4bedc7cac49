//! Fuzz target `fmt`: see `verdict::testing::fuzz::fmt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A broken invariant is a bug: make it a crash the fuzzer keeps.
    if let Err(broken) = verdict::testing::fuzz::fmt(data) {
        panic!("{broken}");
    }
});
