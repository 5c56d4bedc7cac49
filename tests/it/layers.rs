//! The library's modules sit in layers, and each imports only from the
//! layers below it: every `crate::` path in `src/` (outside comments, the
//! root facade and the binary) is checked against the table, which is the
//! one `ARCHITECTURE.md` shows. A path through the root (`crate::Limits`)
//! counts as upward, because the root sits above everything.

use std::path::Path;

use crate::common;

/// The layers, lowest first. A module may import from its own files and
/// from any module of a lower layer, never from its own layer's other
/// modules or from above.
const LAYERS: &[&[&str]] = &[
    &["source", "limits"],
    &["diagnostics"],
    &["ast", "model"],
    &["syntax"],
    &["check", "format"],
    &["compile", "facts"],
    &["eval"],
    &["explain", "files", "builtin"],
    &["policy_set"],
    &["batch", "diff", "suite"],
    &["testing"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module a file of `src/` belongs to (`None` for the root
/// facade, the doc tests and the binary).
fn module_of(relative: &Path) -> Option<String> {
    let mut parts = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy());
    let first = parts.next()?.to_string();
    let module = match parts.next() {
        Some(_) => first,
        None => first.strip_suffix(".rs")?.to_string(),
    };
    (!matches!(module.as_str(), "lib" | "main" | "doctests" | "cli")).then_some(module)
}

/// The first segment of every `crate::` path in code, with the byte
/// offset where it starts: `crate::model::Fact` gives `model`,
/// `crate::{ast, source::Span}` gives `ast` and `source`, also when the
/// group spans several lines.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::").map(|i| from + i) {
        from = at + "crate::".len();
        // `$crate::` in a macro is the same crate; a longer word ending in
        // `crate` is not the keyword.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push((at, first_segment(&item)));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            if !item.trim().is_empty() {
                found.push((at, first_segment(&item)));
            }
        } else {
            found.push((at, first_segment(rest)));
        }
    }
    found
}

/// Whether a file's own imports (at column 0) climb with `super::` to the
/// crate root: from a top-level module's file any `super::`, from a file
/// one level down `super::super::`. Inline modules (`mod tests { ... }`)
/// are indented, and their `super` is the file's module.
fn climbs_to_the_root(relative: &Path, line: &str) -> bool {
    let depth = relative.components().count();
    let is_module_root = relative.file_name().is_some_and(|f| f == "mod.rs");
    // How many `super`s reach the root: 1 from src/x.rs or src/x/mod.rs,
    // 2 from src/x/y.rs, and one more per directory below.
    let to_root = if is_module_root { depth - 1 } else { depth };
    let climb = "super::".repeat(to_root.max(1));
    !line.starts_with(char::is_whitespace) && line.contains(&climb)
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn imports_only_flow_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for path in common::rust_files(&src) {
        let relative = path.strip_prefix(&src).unwrap();
        let Some(module) = module_of(relative) else {
            continue;
        };
        let Some(own) = layer_of(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is in no layer",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        // Comments blanked, lines kept, so that offsets give line numbers.
        let code: String = text
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("//") {
                    ""
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        for (number, line) in code.lines().enumerate() {
            if climbs_to_the_root(relative, line) {
                wrong.push(format!(
                    "{}:{}: `{module}` imports through the root with `super`",
                    relative.display(),
                    number + 1
                ));
            }
        }
        for (at, target) in crate_paths(&code) {
            checked += 1;
            if target == "self" || target == module {
                continue;
            }
            let why = match layer_of(&target) {
                Some(layer) if layer < own => continue,
                Some(layer) if layer == own => "a module of the same layer",
                Some(_) => "a module of a higher layer",
                None => "through the root, or a module in no layer",
            };
            wrong.push(format!(
                "{}:{}: `{module}` imports `crate::{target}`: {why}",
                relative.display(),
                code[..at].matches('\n').count() + 1
            ));
        }
    }
    assert!(checked > 100, "only {checked} crate paths found");
    assert!(
        wrong.is_empty(),
        "imports that do not flow down the layers:\n{}",
        wrong.join("\n")
    );
}

/// The table here and the one in ARCHITECTURE.md name the same modules in
/// the same layers.
#[test]
fn architecture_shows_the_same_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    for (number, layer) in LAYERS.iter().enumerate() {
        let row = architecture
            .lines()
            .find(|line| line.starts_with(&format!("| {number} |")))
            .unwrap_or_else(|| panic!("ARCHITECTURE.md has no row for layer {number}"));
        for module in *layer {
            assert!(
                row.contains(&format!("`{module}`")),
                "ARCHITECTURE.md's layer {number} does not name `{module}`: {row}"
            );
        }
    }
}

#[test]
fn paths_are_read_as_the_compiler_does() {
    let targets = |code: &str| -> Vec<String> {
        crate_paths(code)
            .into_iter()
            .map(|(_, target)| target)
            .collect()
    };
    assert_eq!(targets("use crate::model::{Atom, Fact};"), ["model"]);
    assert_eq!(
        targets("use crate::{ast::{self, Item}, source::Span};"),
        ["ast", "source"]
    );
    assert_eq!(
        targets("use crate::{\n    ast::{self, Item},\n    source::Span,\n};"),
        ["ast", "source"]
    );
    assert_eq!(
        targets("let x = crate::eval::decide(t, crate::Limits::MAX);"),
        ["eval", "Limits"]
    );
    assert!(targets("$crate::cli::write_stdout(x)").is_empty());
    assert_eq!(
        module_of(Path::new("eval/walk.rs")).as_deref(),
        Some("eval")
    );
    assert_eq!(module_of(Path::new("batch.rs")).as_deref(), Some("batch"));
    assert_eq!(module_of(Path::new("lib.rs")), None);
    assert!(climbs_to_the_root(
        Path::new("batch.rs"),
        "use super::PolicySet;"
    ));
    assert!(!climbs_to_the_root(
        Path::new("batch.rs"),
        "    use super::push_number;"
    ));
    assert!(climbs_to_the_root(
        Path::new("eval/walk.rs"),
        "use super::super::Limits;"
    ));
    assert!(!climbs_to_the_root(
        Path::new("eval/walk.rs"),
        "use super::Walked;"
    ));
    assert!(!climbs_to_the_root(
        Path::new("eval/mod.rs"),
        "    use super::decide;"
    ));
    assert!(climbs_to_the_root(
        Path::new("eval/mod.rs"),
        "use super::PolicySet;"
    ));
}
