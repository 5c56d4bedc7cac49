//! The library's modules sit in layers, and each imports only from the
//! layers below it. Every file of `src/` (but the root facade and the
//! binary) is parsed as Rust with `syn`, and every path that leaves its
//! module is resolved to the top-level module it reaches: `use` trees
//! (groups on any number of lines), paths in code and types, `super::`
//! chains (inline modules counted), and `crate::` and `$crate::` inside
//! macros. A path through the root (`crate::Limits`, `super::PolicySet`
//! from a top-level module) counts as upward, because the root sits above
//! everything; so does renaming the crate (`use crate as root`). The table
//! is the one `ARCHITECTURE.md` shows.

use std::path::Path;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

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
    &["batch", "diff", "engine", "sql", "suite"],
    &["ide"],
    &["testing"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The module path of a file of `src/`: `eval/walk.rs` is `["eval",
/// "walk"]`, `eval/mod.rs` is `["eval"]`; `None` for the root facade, the
/// doc tests and the binary.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut path: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let file = path.pop()?;
    if file != "mod.rs" {
        path.push(file.strip_suffix(".rs")?.to_string());
    }
    let top = path.first()?;
    (!matches!(top.as_str(), "lib" | "main" | "doctests" | "cli")).then_some(path)
}

/// What one path reaches: the top-level module (or root item) it names,
/// and the line it is written on.
#[derive(Debug, PartialEq)]
struct Reach {
    target: String,
    line: usize,
}

/// Walks one file, collecting every path that reaches the crate root.
struct Imports {
    /// The module the visitor is in: the file's, then inline modules'.
    module: Vec<String>,
    reaches: Vec<Reach>,
    /// `use crate as ...` and the like, which hide what a path reaches.
    renamed_crate: Vec<usize>,
}

impl Imports {
    /// Records a path that starts with `first` and continues with `rest`,
    /// if it leaves the current module for the root.
    fn path(&mut self, segments: &[String], line: usize) {
        let Some(first) = segments.first() else {
            return;
        };
        let target = match first.as_str() {
            "crate" | "$crate" => segments.get(1).cloned(),
            "super" => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                // Climbing to the root names the next segment there.
                (supers >= self.module.len())
                    .then(|| segments.get(supers).cloned())
                    .flatten()
            }
            _ => None,
        };
        if let Some(target) = target {
            self.reaches.push(Reach { target, line });
        }
    }

    /// Every leaf of a `use` tree, with the segments that lead to it.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let line = name.ident.span().start().line;
                prefix.push(name.ident.to_string());
                self.path(prefix, line);
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                let line = rename.ident.span().start().line;
                if prefix.is_empty() && rename.ident == "crate" {
                    self.renamed_crate.push(line);
                }
                prefix.push(rename.ident.to_string());
                self.path(prefix, line);
                prefix.pop();
            }
            syn::UseTree::Glob(glob) => {
                let line = glob.star_token.spans[0].start().line;
                self.path(prefix, line);
            }
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }

    /// `crate::x`, `$crate::x` and `super::...` in a macro's tokens.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) if ident == "crate" || ident == "super" => {
                    let dollar = i
                        .checked_sub(1)
                        .and_then(|j| tokens.get(j))
                        .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '$'));
                    let mut segments = vec![if dollar {
                        String::from("$crate")
                    } else {
                        ident.to_string()
                    }];
                    // Follow `:: ident` pairs.
                    let mut at = i + 1;
                    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) =
                        (tokens.get(at), tokens.get(at + 1))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        match tokens.get(at + 2) {
                            Some(TokenTree::Ident(next)) => segments.push(next.to_string()),
                            _ => break,
                        }
                        at += 3;
                    }
                    self.path(&segments, ident.span().start().line);
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Imports {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.module.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        if item.ident == "self" {
            self.renamed_crate.push(item.ident.span().start().line);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let line = path
            .segments
            .first()
            .map_or(0, |s| s.ident.span().start().line);
        self.path(&segments, line);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// What a file's paths reach, and where it renames the crate.
fn imports(code: &str, module: Vec<String>) -> Imports {
    let file = syn::parse_file(code).unwrap_or_else(|e| panic!("does not parse: {e}"));
    let mut imports = Imports {
        module,
        reaches: Vec::new(),
        renamed_crate: Vec::new(),
    };
    imports.visit_file(&file);
    imports
}

#[test]
fn imports_only_flow_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for path in common::rust_files(&src) {
        let relative = path.strip_prefix(&src).unwrap();
        let Some(module_path) = module_path(relative) else {
            continue;
        };
        let module = module_path[0].clone();
        let Some(own) = layer_of(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is in no layer",
                relative.display()
            ));
            continue;
        };
        let found = imports(&std::fs::read_to_string(&path).unwrap(), module_path);
        for line in found.renamed_crate {
            wrong.push(format!(
                "{}:{line}: the crate is renamed",
                relative.display()
            ));
        }
        for Reach { target, line } in found.reaches {
            checked += 1;
            if target == module || target == "self" {
                continue;
            }
            let why = match layer_of(&target) {
                Some(layer) if layer < own => continue,
                Some(layer) if layer == own => "a module of the same layer",
                Some(_) => "a module of a higher layer",
                None => "through the root, or a module in no layer",
            };
            wrong.push(format!(
                "{}:{line}: `{module}` reaches `{target}`: {why}",
                relative.display()
            ));
        }
    }
    assert!(checked > 100, "only {checked} paths to the root found");
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

/// Each way a path can reach the root is seen, and what stays inside a
/// module is not.
#[test]
fn every_way_to_the_root_is_seen() {
    // The targets reached, each leaf of a `use` tree apart, repeats after
    // each other counted once.
    let reached = |code: &str, module: &[&str]| -> Vec<String> {
        let module = module.iter().map(|m| m.to_string()).collect();
        let mut targets: Vec<String> = imports(code, module)
            .reaches
            .into_iter()
            .map(|r| r.target)
            .collect();
        targets.dedup();
        targets
    };
    assert_eq!(
        reached("use crate::model::{Atom, Fact};", &["eval"]),
        ["model"]
    );
    assert_eq!(
        reached(
            "use crate::{\n    ast::{self, Item},\n    source::Span,\n};",
            &["eval"]
        ),
        ["ast", "source"]
    );
    assert_eq!(
        reached(
            "fn f() { let x = crate::eval::decide(t, crate::Limits::MAX); }",
            &["batch"]
        ),
        ["eval", "Limits"]
    );
    // `super` from a top-level module's file is the root; from a file one
    // level down, `super::super` is, also inside a group or a function.
    assert_eq!(reached("use super::PolicySet;", &["batch"]), ["PolicySet"]);
    assert!(reached("use super::Walked;", &["eval", "walk"]).is_empty());
    assert_eq!(
        reached(
            "use super::{\n    super::policy_set::PolicySet,\n};",
            &["eval", "walk"]
        ),
        ["policy_set"]
    );
    assert_eq!(
        reached(
            "fn f() { use super::super::policy_set::PolicySet; }",
            &["facts", "value"]
        ),
        ["policy_set"]
    );
    assert_eq!(
        reached(
            "fn f() { super::super::policy_set::PolicySet::builtin(); }",
            &["facts", "value"]
        ),
        ["policy_set"]
    );
    // An inline module's `super` is its file's module.
    assert!(reached("mod tests { use super::decide; }", &["eval"]).is_empty());
    assert_eq!(
        reached("mod tests { use super::super::PolicySet; }", &["eval"]),
        ["PolicySet"]
    );
    // Macros: `$crate::` and `crate::` in their tokens.
    assert_eq!(
        reached(
            "macro_rules! m { () => { $crate::policy_set::PolicySet::builtin() } }",
            &["model"]
        ),
        ["policy_set"]
    );
    assert_eq!(
        reached("fn f() { g!(crate::eval::decide); }", &["model"]),
        ["eval"]
    );
    // Comments and strings are no paths.
    assert!(reached(
        "// crate::eval\nfn f() { let s = \"crate::eval\"; }",
        &["model"]
    )
    .is_empty());
    // Renaming the crate is refused.
    assert_eq!(
        imports("use crate as root;", vec![String::from("model")])
            .renamed_crate
            .len(),
        1
    );
    assert_eq!(
        module_path(Path::new("eval/walk.rs")),
        Some(vec![String::from("eval"), String::from("walk")])
    );
    assert_eq!(
        module_path(Path::new("eval/mod.rs")),
        Some(vec![String::from("eval")])
    );
    assert_eq!(
        module_path(Path::new("batch.rs")),
        Some(vec![String::from("batch")])
    );
    assert_eq!(module_path(Path::new("lib.rs")), None);
}
