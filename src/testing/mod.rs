//! Helpers for tests, benches and fuzzers, behind the `testing` feature:
//! the bodies of the fuzz targets, so that the corpus replay runs exactly
//! what the fuzzer runs. Nothing here is part of the stable API.

pub mod fuzz;
