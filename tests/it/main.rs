//! verdict's integration tests, as one binary: each module is one concern
//! (a command, a stage, an invariant), and `common` holds the helpers that
//! load fixtures and render diagnostics one way for all of them.

// Test code fails loudly on purpose: unwrap, expect, panic and indexing are how it says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

/// Counts live heap bytes, so that the scale suite measures what a loaded
/// set holds rather than resident pages, which freed memory the allocator
/// keeps inflates (`scale::held`).
#[global_allocator]
static HEAP: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

mod common;

mod api;
mod batch;
mod cache;
mod cli;
mod diagnostics;
mod diff;
mod engine;
mod examples;
mod format;
mod fuzz_corpus;
mod hostile;
mod ide;
mod language;
mod layers;
mod lsp;
mod mistakes;
mod multichannel;
mod no_panic;
mod numbers;
mod reliability;
mod scale;
mod serialize;
mod serve;
mod sql;
mod tree;
mod tree_build;
mod tree_vs_reference;
mod workspace;
