//! Re-checking a policy set as its files change, for an editor or a hot
//! reload: a [`Workspace`] keeps each file's parse and each policy's check
//! and tree from one check to the next, and redoes only what an edit
//! touched.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::load::compile_for_load;
use super::PolicySet;
use crate::ast;
use crate::check::{self, PolicyChecked};
use crate::compile::{self, DecisionTree, Searched};
use crate::diagnostics::{CheckError, Problem, Report, SyntaxError};
use crate::files;
use crate::limits::{Limits, TreeBuild};
use crate::model::CheckedPolicy;
use crate::source::{SourceFile, SourceMap, MAX_TOTAL_SOURCE_BYTES};
use crate::syntax;

/// The files of a policy set, kept between checks so that a check redoes
/// only what changed: a file whose text did not change is not parsed
/// again, and a policy none of whose files changed is not checked or
/// compiled again (its tree, its conflicts, its shadowed rules are kept).
///
/// [`check`](Workspace::check) gives what
/// [`PolicySet::from_sources_with`] gives for the same files in the order
/// of their names: the same set, or the same report. The files are ordered
/// by name, as [`PolicySet::from_path`] orders a directory's.
///
/// ```
/// use verdict::{Limits, Workspace};
///
/// let mut workspace = Workspace::new(Limits::default());
/// workspace.set_file("doors.policy", "policy doors\nfact role: {staff guest} at role\nstaff can\nguest cannot\n");
/// let policies = workspace.check().map_err(|r| r.render(80))?;
/// assert_eq!(policies.policies().len(), 1);
///
/// // A typo: the report says where, as loading the files would.
/// workspace.set_file("doors.policy", "policy doors\nfact role: {staff guest} at role\nstaf can\nguest cannot\n");
/// let report = workspace.check().err().ok_or("a typo fails")?;
/// assert!(report.render(80).contains("did you mean `staff`"));
/// # Ok::<(), String>(())
/// ```
///
/// Offsets into a kept file must stay where they were for its parse and
/// its policy to be kept, so each file is given room to grow: an edit that
/// outgrows it moves the file, and the files after it, to fresh offsets,
/// and they are parsed and checked again.
#[derive(Debug)]
pub struct Workspace {
    limits: Limits,
    files: BTreeMap<String, WorkFile>,
    /// The policies of the last check, each with the files it was checked
    /// from.
    policies: Vec<KeptPolicy>,
}

/// A file of a workspace and, once checked, where it was placed and what
/// parsing it gave.
#[derive(Debug)]
struct WorkFile {
    text: String,
    placed: Option<Placed>,
    /// Where the file was last placed, kept across edits so that an edited
    /// file that still fits goes back there: `(base, room)`.
    region: Option<(u32, u32)>,
}

#[derive(Debug)]
struct Placed {
    file: Arc<SourceFile>,
    parsed: Result<ast::File, Vec<SyntaxError>>,
}

/// A policy as the last check left it.
#[derive(Debug)]
struct KeptPolicy {
    /// The files it was checked from: the same `Arc`s while they are
    /// unchanged and in place.
    files: Vec<Arc<SourceFile>>,
    checked: PolicyChecked<Arc<CheckedPolicy>>,
    /// Its tree and the warnings compiling found, once compiled (a policy
    /// with errors is not). Cloning the tree shares its layout and scan,
    /// and its nodes once a report has made them again from the layout.
    compiled: Option<(DecisionTree, Vec<CheckError>)>,
    /// The search that found its shadowed rules without a tree, or, until
    /// it is compiled, the search of the policy of the same name before
    /// an edit, which the next search starts from.
    searched: Option<Searched>,
}

impl Workspace {
    /// An empty workspace; its checks load within `limits`.
    pub fn new(limits: Limits) -> Workspace {
        Workspace {
            limits,
            files: BTreeMap::new(),
            policies: Vec::new(),
        }
    }

    /// The limits its checks load within.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sets the text of the file `name`, adding the file if it is new.
    /// Whether the text changed.
    pub fn set_file(&mut self, name: impl Into<String>, text: impl Into<String>) -> bool {
        let name = name.into();
        let text = text.into();
        match self.files.get_mut(&name) {
            Some(file) if file.text == text => false,
            Some(file) => {
                file.text = text;
                file.placed = None;
                true
            }
            None => {
                let file = WorkFile {
                    text,
                    placed: None,
                    region: None,
                };
                self.files.insert(name, file);
                true
            }
        }
    }

    /// Makes `files` the workspace's files: each set as
    /// [`set_file`](Self::set_file) does, and every other file removed.
    /// Whether anything changed.
    pub fn set_files<N, T>(&mut self, files: impl IntoIterator<Item = (N, T)>) -> bool
    where
        N: Into<String>,
        T: Into<String>,
    {
        let mut changed = false;
        let mut given = std::collections::BTreeSet::new();
        for (name, text) in files {
            let name = name.into();
            changed |= self.set_file(name.clone(), text);
            given.insert(name);
        }
        let before = self.files.len();
        self.files.retain(|name, _| given.contains(name));
        changed || self.files.len() != before
    }

    /// Removes the file `name`; whether it was there.
    pub fn remove_file(&mut self, name: &str) -> bool {
        self.files.remove(name).is_some()
    }

    /// The text of the file `name`.
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(|f| f.text.as_str())
    }

    /// The names of the files, in order.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Each file as the last check placed it, with its parse (`None` for
    /// a file that did not parse), in the order of their names. Files the
    /// last check did not place (past the size limit, or set since) are
    /// left out.
    pub(crate) fn parses(&self) -> impl Iterator<Item = (&Arc<SourceFile>, Option<&ast::File>)> {
        self.files
            .values()
            .filter_map(|f| f.placed.as_ref())
            .map(|p| (&p.file, p.parsed.as_ref().ok()))
    }

    /// Checks and compiles the files as they are now, reusing what the
    /// last check did for what has not changed since: the set, or the
    /// report of every problem when one is an error.
    ///
    /// Trees are built as the limits' [`TreeBuild`](crate::TreeBuild) says, and kept with
    /// their policy, except that `InBackground` builds every tree again
    /// in the background after each check.
    pub fn check(&mut self) -> Result<PolicySet, Report> {
        let (sources, mut problems) = self.place_and_parse();
        // The files that parsed, each with the `Arc` that stays the same
        // while the file is unchanged and in place.
        let (asts, files): (Vec<&ast::File>, Vec<&Arc<SourceFile>>) = self
            .files
            .values()
            .filter_map(|f| f.placed.as_ref())
            .filter_map(|p| p.parsed.as_ref().ok().map(|ast| (ast, &p.file)))
            .unzip();
        let nothing = asts.is_empty();
        let mut kept = std::mem::take(&mut self.policies);
        let mut policies = Vec::new();
        for group in check::group_by_policy(&asts) {
            let group_files: Vec<Arc<SourceFile>> = group
                .iter()
                .filter_map(|i| files.get(*i).map(|f| Arc::clone(f)))
                .collect();
            let same = |k: &KeptPolicy| {
                k.files.len() == group_files.len()
                    && k.files
                        .iter()
                        .zip(&group_files)
                        .all(|(a, b)| Arc::ptr_eq(a, b))
            };
            let policy = match kept.iter().position(same) {
                Some(at) => kept.swap_remove(at),
                None => {
                    let group: Vec<&ast::File> =
                        group.iter().filter_map(|i| asts.get(*i).copied()).collect();
                    let checked = check::check_group(&sources, &group, &self.limits);
                    // The same policy before the edit: its search is where
                    // this one starts.
                    let searched = kept
                        .iter_mut()
                        .find(|k| k.checked.name == checked.name)
                        .and_then(|k| k.searched.take());
                    KeptPolicy {
                        files: group_files,
                        checked: checked.map(Arc::new),
                        compiled: None,
                        searched,
                    }
                }
            };
            policies.push(policy);
        }
        let weighed = policies
            .iter()
            .enumerate()
            .map(|(at, p)| PolicyChecked {
                name: p.checked.name.clone(),
                policy: at,
                diagnostics: p.checked.diagnostics.clone(),
                errors: p.checked.errors,
                name_spans: p.checked.name_spans.clone(),
            })
            .collect();
        let (good, diagnostics) = check::join(weighed);
        problems.extend(diagnostics.into_iter().map(Problem::from));
        let mut checked = Vec::with_capacity(good.len());
        let mut trees = Vec::with_capacity(good.len());
        for at in good {
            let Some(kept) = policies.get_mut(at) else {
                continue;
            };
            let policy = &kept.checked.policy;
            let searched = &mut kept.searched;
            let limits = &self.limits;
            let (tree, warnings) = kept.compiled.get_or_insert_with(|| {
                if limits.tree_build != TreeBuild::IfNeeded {
                    return compile_for_load(policy, limits);
                }
                let (tree, warnings, found) = compile::analyse_after(
                    Arc::clone(policy),
                    limits.tree_budget,
                    searched.as_ref(),
                );
                *searched = found;
                (tree, warnings)
            });
            problems.extend(warnings.iter().cloned().map(Problem::from));
            trees.push(tree.clone());
            checked.push(Arc::clone(policy));
        }
        self.policies = policies;
        PolicySet::assemble(sources, problems, checked, trees, nothing, &self.limits)
    }

    /// Places every file at its offsets, keeping each unchanged file where
    /// it was, and parses the files that are new, edited or moved: the
    /// source map and the problems found (syntax errors, a set too large).
    fn place_and_parse(&mut self) -> (SourceMap, Vec<Problem>) {
        let mut sources = SourceMap::new();
        let mut problems = Vec::new();
        let mut total = 0usize;
        // Where the next file may start: past the room of the one before.
        let mut cursor = 0usize;
        let max_bytes = self.limits.policy_bytes();
        let nesting = self.limits.nesting();
        let mut too_large = false;
        for (name, file) in &mut self.files {
            if too_large {
                file.placed = None;
                continue;
            }
            total = total.saturating_add(file.text.len());
            let kept = file
                .placed
                .take()
                .filter(|p| p.file.base() as usize >= cursor);
            let placed = match kept {
                Some(placed) => Some(placed),
                None => place(name, &file.text, file.region, cursor).map(|(source, room)| {
                    file.region = Some((source.base(), room));
                    let parsed = syntax::parse_with(&source, nesting);
                    Placed {
                        file: Arc::new(source),
                        parsed,
                    }
                }),
            };
            let pushed = placed
                .filter(|p| total <= max_bytes && sources.push(Arc::clone(&p.file)).is_some());
            let Some(placed) = pushed else {
                problems.push(files::policy_too_large(name.clone(), total, max_bytes).into());
                too_large = true;
                continue;
            };
            let room = file.region.map_or(0, |(_, room)| room as usize);
            cursor = placed.file.base() as usize + room.max(placed.file.text.len() + 1);
            if let Err(errors) = &placed.parsed {
                problems.extend(errors.iter().cloned().map(Problem::from));
            }
            file.placed = Some(placed);
        }
        (sources, problems)
    }
}

/// A file placed at or after `cursor`: back in its old region when it
/// still fits there, else at `cursor` with room to grow by half its size
/// (at least 4 KiB), or with no room to spare where that would pass the
/// offsets spans can hold. The file and its room; `None` when even that
/// does not fit.
fn place(
    name: &str,
    text: &str,
    region: Option<(u32, u32)>,
    cursor: usize,
) -> Option<(SourceFile, u32)> {
    let needed = text.len().checked_add(1)?;
    if let Some((base, room)) = region {
        if base as usize >= cursor && needed <= room as usize {
            return Some((SourceFile::new(name, text, base), room));
        }
    }
    let spare = (text.len() / 2).max(4096);
    let room = needed
        .checked_add(spare)
        .filter(|room| cursor.saturating_add(*room) <= MAX_TOTAL_SOURCE_BYTES)
        .unwrap_or(needed);
    if cursor.saturating_add(room) > MAX_TOTAL_SOURCE_BYTES {
        return None;
    }
    let base = u32::try_from(cursor).ok()?;
    Some((SourceFile::new(name, text, base), u32::try_from(room).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOORS: &str = "policy doors\nfact role: {staff guest} at role\nstaff can\nguest cannot\n";
    const GATES: &str = "policy gates\nfact pass: bool at pass\npass can\nnot pass cannot\n";

    /// The kept policy named `name`: its checked policy and its tree's
    /// layout for deciding.
    fn kept(workspace: &Workspace, name: &str) -> Option<(Arc<CheckedPolicy>, Arc<[u32]>)> {
        let policy = workspace.policies.iter().find(|p| p.checked.name == name)?;
        let (tree, _) = policy.compiled.as_ref()?;
        let flat = tree.flat.as_ref()?;
        Some((Arc::clone(&policy.checked.policy), Arc::clone(&flat.words)))
    }

    #[test]
    fn an_edit_redoes_only_its_own_policy() -> Result<(), String> {
        let mut workspace = Workspace::new(Limits::default());
        workspace.set_file("doors.policy", DOORS);
        workspace.set_file("gates.policy", GATES);
        workspace.check().map_err(|r| r.render(80))?;
        let (doors, doors_tree) = kept(&workspace, "doors").ok_or("doors is kept")?;
        let (gates, _) = kept(&workspace, "gates").ok_or("gates is kept")?;

        // A comment more in `gates`: `doors` is neither checked nor
        // compiled again, `gates` is.
        workspace.set_file("gates.policy", format!("{GATES}# reviewed\n"));
        workspace.check().map_err(|r| r.render(80))?;
        let (doors_after, doors_tree_after) = kept(&workspace, "doors").ok_or("doors is kept")?;
        let (gates_after, _) = kept(&workspace, "gates").ok_or("gates is kept")?;
        assert!(Arc::ptr_eq(&doors, &doors_after));
        assert!(Arc::ptr_eq(&doors_tree, &doors_tree_after));
        assert!(!Arc::ptr_eq(&gates, &gates_after));
        Ok(())
    }

    #[test]
    fn a_file_that_outgrows_its_room_moves_and_the_files_after_it_too() -> Result<(), String> {
        let mut workspace = Workspace::new(Limits::default());
        workspace.set_file("a.policy", DOORS);
        workspace.set_file("b.policy", GATES);
        workspace.check().map_err(|r| r.render(80))?;
        let (gates, _) = kept(&workspace, "gates").ok_or("gates is kept")?;
        // Past the 4 KiB of room the first file was given.
        let grown = format!("{DOORS}{}", "# a long comment\n".repeat(400));
        workspace.set_file("a.policy", grown);
        let set = workspace.check().map_err(|r| r.render(80))?;
        let (gates_after, _) = kept(&workspace, "gates").ok_or("gates is kept")?;
        assert!(!Arc::ptr_eq(&gates, &gates_after));
        let facts = serde_json::json!({"role": "staff", "pass": true});
        let decisions = set.decide(&facts).map_err(|r| r.render(80))?;
        assert_eq!(decisions[1].rule, Some("b.policy:3"));
        Ok(())
    }
}
