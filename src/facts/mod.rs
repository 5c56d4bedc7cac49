//! Reading facts, in every form a caller has them: a `serde_json::Value`
//! (`value`), JSON text, parsed with diagnostics that point into it
//! (`parse`, `locate`) or scanned for the declared values alone (`text`),
//! and any `Serialize` value, walked for the declared values alone
//! (`serialize`). The evaluator reads facts only through this module.

mod locate;
mod parse;
mod paths;
mod serialize;
mod text;
mod value;

pub(crate) use locate::{label, line_col, value_span};
pub(crate) use parse::{deeper_than, parse, ParsedFacts};
pub(crate) use paths::ObjectPaths;
pub(crate) use text::{PathTrie, Slot};
pub(crate) use value::{get, json_kind, parent_object, prefetch_strings, read, Read, Unknown};
