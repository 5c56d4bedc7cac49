//! Fuzz target `parse`: see `verdict::testing::fuzz::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A broken invariant is a bug: make it a crash the fuzzer keeps.
    if let Err(broken) = verdict::testing::fuzz::parse(data) {
        panic!("{broken}");
    }
});
