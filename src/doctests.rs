//! The README's and `docs/embedding.md`'s Rust examples, run as doc tests
//! so that they cannot rot.

#[doc = include_str!("../README.md")]
struct Readme;

#[doc = include_str!("../docs/embedding.md")]
struct Embedding;
