//! Helpers for tests, benches and fuzzers, behind the `testing` feature:
//! the bodies of the fuzz targets (so that the corpus replay runs exactly
//! what the fuzzer runs), the benchmark workloads and the hand-written
//! floor they are measured against. Nothing here is part of the stable API.

pub mod floor;
pub mod fuzz;
pub mod workloads;
