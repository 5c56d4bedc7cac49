//! Loading a set: files → parse → check → compile, every problem of every
//! stage in one [`Report`], and what deciding needs prepared once (how each
//! policy's facts are reached, the trie of every declared path).

use std::path::Path;
use std::sync::{Arc, Weak};

use super::{Loaded, PolicySet};
use crate::check;
use crate::compile::{self, DecisionTree};
use crate::diagnostics::{CheckError, Problem, Report};
use crate::eval;
use crate::facts::{ObjectPaths, PathTrie};
use crate::files::{self, FileKind};
use crate::limits::{Limits, TreeBuild};
use crate::model::{CheckedPolicy, FactType, Presence, TimeKind};
use crate::source::SourceMap;
use crate::syntax;

impl PolicySet {
    /// The multichannel pack built into verdict.
    pub fn builtin() -> Result<PolicySet, Report> {
        PolicySet::builtin_with(&Limits::default())
    }

    /// The multichannel pack built into verdict, evaluated within `limits`.
    pub fn builtin_with(limits: &Limits) -> Result<PolicySet, Report> {
        PolicySet::from_sources_with(crate::builtin::FILES.iter().copied(), limits)
    }

    /// Loads one `.policy` file, or every `*.policy` file of a directory
    /// (not of its subdirectories), in the order of their names.
    pub fn from_path(path: impl AsRef<Path>) -> Result<PolicySet, Report> {
        PolicySet::from_path_with(path, &Limits::default())
    }

    /// [`from_path`](Self::from_path) within `limits`.
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<PolicySet, Report> {
        PolicySet::from_disk(path.as_ref(), limits, false)
    }

    /// [`from_path_with`](Self::from_path_with), each file named by its
    /// name alone (`channels.policy`), not by its path: what a service
    /// loads, so that rule locations and diagnostics it sends to clients
    /// say nothing of the server's file system.
    ///
    /// ```
    /// let limits = verdict::Limits::default();
    /// let policies = verdict::PolicySet::from_root_with("policies/multichannel", &limits)
    ///     .map_err(|r| r.render(80))?;
    /// let facts = serde_json::json!({"partner": {"role": "reseller"}, "request": {"action": "invite"}});
    /// let decisions = policies.decide(&facts).map_err(|r| r.render(80))?;
    /// assert_eq!(decisions[0].rule, Some("indirect.policy:10"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn from_root_with(root: impl AsRef<Path>, limits: &Limits) -> Result<PolicySet, Report> {
        PolicySet::from_disk(root.as_ref(), limits, true)
    }

    /// The policy files of `path`, named by their paths or, `relative`, by
    /// their names alone, compiled.
    fn from_disk(path: &Path, limits: &Limits, relative: bool) -> Result<PolicySet, Report> {
        PolicySet::from_sources_with(read_policy_files(path, limits, relative)?, limits)
    }

    /// Compiles policy files given as (name, text) pairs.
    pub fn from_sources<N, T>(files: impl IntoIterator<Item = (N, T)>) -> Result<PolicySet, Report>
    where
        N: Into<String>,
        T: Into<String>,
    {
        PolicySet::from_sources_with(files, &Limits::default())
    }

    /// [`from_sources`](Self::from_sources) within `limits`.
    pub fn from_sources_with<N, T>(
        files: impl IntoIterator<Item = (N, T)>,
        limits: &Limits,
    ) -> Result<PolicySet, Report>
    where
        N: Into<String>,
        T: Into<String>,
    {
        Checked::from_sources(files, limits).finish(limits)
    }

    /// The set of checked and compiled policies: the report of `problems`
    /// when one is an error (or when there was nothing to load, `nothing`
    /// parsed and nothing to say), else what deciding needs prepared. The
    /// trees are built in the background from here when the limits say so.
    pub(super) fn assemble(
        sources: SourceMap,
        problems: Vec<Problem>,
        policies: Vec<Arc<CheckedPolicy>>,
        trees: Vec<DecisionTree>,
        nothing: bool,
        limits: &Limits,
    ) -> Result<PolicySet, Report> {
        let report = Report::new(sources, problems);
        if report.has_errors() || (trees.is_empty() && nothing && report.problems().is_empty()) {
            return Err(report);
        }
        let picker = picker(&trees);
        let paths = trees.iter().map(|t| ObjectPaths::new(&t.policy)).collect();
        let strict_policies = trees.iter().any(|t| t.policy.strict);
        let mut declared: Vec<Vec<String>> = Vec::new();
        let mut seen: std::collections::HashSet<&[String]> = std::collections::HashSet::new();
        for fact in trees.iter().flat_map(|t| &t.policy.facts) {
            if seen.insert(fact.path.as_slice()) {
                declared.push(fact.path.clone());
            }
        }
        // Held as long as the set: without the room it grew into.
        declared.shrink_to_fit();
        let mut now_facts: Vec<(Vec<String>, TimeKind)> = Vec::new();
        for fact in trees.iter().flat_map(|t| &t.policy.facts) {
            if let (Presence::Now, FactType::Time(kind, _)) = (&fact.presence, &fact.ty) {
                if !now_facts.iter().any(|(path, _)| *path == fact.path) {
                    now_facts.push((fact.path.clone(), *kind));
                }
            }
        }
        let exact_picks = trees
            .iter()
            .map(|t| eval::picks_exactly(&t.policy))
            .collect();
        let building = limits.tree_build == TreeBuild::InBackground;
        // Held as long as the set: capped, without the room it grew into.
        let (sources, problems) = report.into_parts();
        let warnings = keep_warnings(problems, limits.warnings_per_code);
        let loaded = Arc::new(Loaded {
            sources,
            trees,
            built: std::sync::OnceLock::new(),
            building,
            paths,
            warnings,
            picker,
            limits: limits.clone(),
            declared,
            strict_policies,
            now_facts,
            exact_picks,
        });
        if building {
            build_in_background(policies, limits, Arc::downgrade(&loaded));
        }
        Ok(PolicySet {
            loaded,
            options: None,
        })
    }
}

/// The policy files of `path` (one file, or a directory's `*.policy`
/// files in the order of their names), named by their paths or,
/// `relative`, by their names alone; the report of what could not be read.
pub(crate) fn read_policy_files(
    path: &Path,
    limits: &Limits,
    relative: bool,
) -> Result<Vec<(String, String)>, Report> {
    files::read_files_named(path, FileKind::Policy, limits.policy_bytes(), relative).map_err(
        |errors| {
            Report::new(
                SourceMap::new(),
                errors.into_iter().map(Problem::from).collect(),
            )
        },
    )
}

/// Policy files read and checked, not yet compiled: where a fresh load
/// and one from the cache ([`PolicyCache`](super::PolicyCache)) meet.
pub(super) struct Checked {
    pub(super) sources: SourceMap,
    pub(super) problems: Vec<Problem>,
    pub(super) policies: Vec<Arc<CheckedPolicy>>,
    /// Whether no file parsed.
    pub(super) nothing: bool,
}

impl Checked {
    /// Places `files` in a source map, within `limits`; the problems are
    /// the files past the size limit.
    pub(super) fn place<N, T>(
        files: impl IntoIterator<Item = (N, T)>,
        limits: &Limits,
    ) -> (SourceMap, Vec<Problem>)
    where
        N: Into<String>,
        T: Into<String>,
    {
        let mut sources = SourceMap::new();
        let mut problems: Vec<Problem> = Vec::new();
        let mut total = 0usize;
        for (name, text) in files {
            let name = name.into();
            let text = text.into();
            total = total.saturating_add(text.len());
            if total > limits.policy_bytes() || sources.add(name.clone(), text).is_none() {
                problems.push(files::policy_too_large(name, total, limits.policy_bytes()).into());
                break;
            }
        }
        (sources, problems)
    }

    /// Parses and checks `files`.
    pub(super) fn from_sources<N, T>(
        files: impl IntoIterator<Item = (N, T)>,
        limits: &Limits,
    ) -> Checked
    where
        N: Into<String>,
        T: Into<String>,
    {
        let (sources, mut problems) = Checked::place(files, limits);
        let mut parsed = Vec::new();
        for (_, file) in sources.files() {
            match syntax::parse_with(file, limits.nesting()) {
                Ok(ast) => parsed.push(ast),
                Err(errors) => problems.extend(errors.into_iter().map(Problem::from)),
            }
        }
        let checked = check::check(&sources, &parsed, limits);
        problems.extend(checked.diagnostics.into_iter().map(Problem::from));
        let policies = checked.policies.into_iter().map(Arc::new).collect();
        Checked {
            sources,
            problems,
            policies,
            nothing: parsed.is_empty(),
        }
    }

    /// Whether one of the problems is an error: then nothing decides.
    pub(super) fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }

    /// Compiles the policies as `limits` say and assembles the set.
    pub(super) fn finish(self, limits: &Limits) -> Result<PolicySet, Report> {
        let Checked {
            sources,
            mut problems,
            policies,
            nothing,
        } = self;
        let mut trees = Vec::new();
        for policy in &policies {
            let (tree, warnings) = compile_for_load(policy, limits);
            problems.extend(warnings.into_iter().map(Problem::from));
            trees.push(tree);
        }
        PolicySet::assemble(sources, problems, policies, trees, nothing, limits)
    }
}

/// A checked policy compiled as `limits` say loading compiles it: its tree
/// (or its rule scan, when the tree is built later or never) and the
/// warnings compiling found.
pub(super) fn compile_for_load(
    policy: &Arc<CheckedPolicy>,
    limits: &Limits,
) -> (DecisionTree, Vec<CheckError>) {
    match limits.tree_build {
        TreeBuild::AtLoad => compile::compile_shared(Arc::clone(policy), limits.tree_budget),
        TreeBuild::IfNeeded => compile::analyse_shared(Arc::clone(policy), limits.tree_budget),
        TreeBuild::InBackground | TreeBuild::Never => {
            (compile::scan_shared(Arc::clone(policy)), Vec::new())
        }
    }
}

/// Keeps at most `per_code` warnings and notes of each code, in order, and
/// counts the rest of each code in one `verdict::more_warnings` note on the
/// first one not kept. Errors are all kept.
fn keep_warnings(problems: Vec<Problem>, per_code: usize) -> Vec<Problem> {
    use miette::Diagnostic as _;
    let mut kept = Vec::with_capacity(problems.len().min(per_code.saturating_mul(4)));
    // Per code, in the order first seen: how many, and the first dropped.
    let mut counts: Vec<(String, usize, Option<crate::source::Span>)> = Vec::new();
    for problem in problems {
        let Problem::Check(check) = &problem else {
            kept.push(problem);
            continue;
        };
        if check.is_error() {
            kept.push(problem);
            continue;
        }
        let code = check.code().map(|c| c.to_string()).unwrap_or_default();
        let at = match counts.iter().position(|(c, ..)| *c == code) {
            Some(at) => at,
            None => {
                counts.push((code, 0, None));
                counts.len() - 1
            }
        };
        let Some((_, count, first_dropped)) = counts.get_mut(at) else {
            continue;
        };
        *count += 1;
        if *count <= per_code {
            kept.push(problem);
        } else if first_dropped.is_none() {
            *first_dropped = Some(check.primary_span());
        }
    }
    for (code, count, first_dropped) in counts {
        if let Some(span) = first_dropped {
            kept.push(Problem::from(CheckError::WarningsNotKept {
                code,
                kept: per_code,
                more: count - per_code,
                span,
            }));
        }
    }
    kept.shrink_to_fit();
    kept
}

/// Builds the trees of `policies` on a thread of their own and hands them
/// to the set, if it is still held by then. The build always ends in
/// trees handed over, so that nothing waiting for them waits forever: where
/// it cannot run (no thread or pool can be started) or fails, the rule scans
/// are handed over as the final trees.
fn build_in_background(policies: Vec<Arc<CheckedPolicy>>, limits: &Limits, set: Weak<Loaded>) {
    let (tree_budget, per_code) = (limits.tree_budget, limits.warnings_per_code);
    let build = move || {
        let built = build_trees(&policies, tree_budget, per_code, &set).unwrap_or_else(|| {
            let scans = policies.iter().map(|p| compile::scan_shared(Arc::clone(p)));
            (scans.collect(), Vec::new())
        });
        if let Some(set) = set.upgrade() {
            // Set once: only this build sets it.
            let _ = set.built.set(built);
        }
    };
    // Spawning takes the closure even when it fails: keep the build where
    // this thread can still run it then.
    let shared = Arc::new(std::sync::Mutex::new(Some(build)));
    let in_thread = Arc::clone(&shared);
    let spawned = std::thread::Builder::new()
        .name(String::from("verdict-trees"))
        .spawn(move || {
            let build = in_thread.lock().ok().and_then(|mut build| build.take());
            if let Some(build) = build {
                build();
            }
        });
    if spawned.is_err() {
        let build = shared.lock().ok().and_then(|mut build| build.take());
        if let Some(build) = build {
            build();
        }
    }
}

/// The trees and their warnings; `None` when the build could not run or
/// panicked (a bug), or the set was dropped meanwhile.
///
/// The build runs on a rayon pool of its own: compiling a large tree joins
/// work on two threads, and the threads of the global pool may all be
/// waiting for these very trees (a batch whose lines do not decide waits
/// for them to report), which would leave the join nobody to run it.
fn build_trees(
    policies: &[Arc<CheckedPolicy>],
    tree_budget: usize,
    warnings_per_code: usize,
    set: &Weak<Loaded>,
) -> Option<(Vec<DecisionTree>, Vec<Problem>)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("verdict-trees-{i}"))
        .build()
        .ok()?;
    let build = || {
        let mut trees = Vec::with_capacity(policies.len());
        let mut warnings = Vec::new();
        for policy in policies {
            // A set dropped meanwhile needs no more trees.
            if set.strong_count() == 0 {
                return None;
            }
            let (tree, found) = compile::compile_shared(Arc::clone(policy), tree_budget);
            warnings.extend(found.into_iter().map(Problem::from));
            trees.push(tree);
        }
        Some((trees, keep_warnings(warnings, warnings_per_code)))
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.install(build)))
        .ok()
        .flatten()
}

/// The path table of a set's trees, if picking can serve them.
fn picker(trees: &[DecisionTree]) -> Option<(PathTrie, Vec<Vec<usize>>)> {
    let paths = trees
        .iter()
        .flat_map(|t| t.policy.facts.iter().map(|f| f.path.as_slice()));
    let (table, flat) = PathTrie::new(paths)?;
    let mut slots = Vec::new();
    let mut rest = flat.as_slice();
    for tree in trees {
        let (mine, others) = rest.split_at_checked(tree.policy.facts.len())?;
        slots.push(mine.to_vec());
        rest = others;
    }
    Some((table, slots))
}
