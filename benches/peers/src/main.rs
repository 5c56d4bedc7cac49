//! verdict side by side with other policy engines: the same rules, the same
//! facts, one run. Owns the command line, the `Engine` interface every
//! engine module implements, the agreement check (every engine must decide
//! every input as verdict does, before anything is timed) and the printed
//! markdown tables. Run with
//! `cargo run --release --manifest-path benches/peers/Cargo.toml [-- [--quick] [--only pack|scale]]`.

mod access;
mod cedar;
mod rego;
mod rust_match;
mod timing;
mod verdict_engine;
mod zen;

use std::fmt::Debug;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use verdict::testing::workloads;

use timing::{duration, measure, thousands, timed, timed_load, Budget, Measurement};
use workloads::Scale;

/// One engine loaded with one workload's rules.
pub trait Engine {
    /// The engine's own input form, built from the facts before timing.
    type Input;
    /// The decision, in the workload's common form.
    type Output: PartialEq + Debug;

    fn prepare(&self, facts: &Value) -> Result<Self::Input, String>;
    fn decide(&mut self, input: &Self::Input) -> Result<Self::Output, String>;
    /// Parses the facts from JSON text into the engine's input, and decides.
    fn decide_text(&mut self, text: &str) -> Result<Self::Output, String>;
}

const USAGE: &str = "usage: verdict-peers [--quick] [--only pack|access|scale]
  --quick        short measurements, rule sets up to 1,000 rules
  --only pack    the multichannel pack only
  --only access  the document-access example only
  --only scale   the generated rule sets only";

/// What to run and how long to spend on it.
struct Settings {
    pack: bool,
    access: bool,
    scale: bool,
    budget: Budget,
    /// The rule-set sizes.
    sizes: &'static [usize],
    /// Every engine runs the sizes up to this one; a larger size only if it
    /// is not expected to take more than `limit` to load the rules or to
    /// check every input.
    always_up_to: usize,
    limit: Duration,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Settings, String> {
        let mut quick = false;
        let mut only = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--only" => only = Some(args.next().map_or("", String::as_str)),
                _ => return Err(format!("unknown argument {arg:?}")),
            }
        }
        let (pack, access, scale) = match only {
            None => (true, true, true),
            Some("pack") => (true, false, false),
            Some("access") => (false, true, false),
            Some("scale") => (false, false, true),
            Some(other) => {
                return Err(format!("--only takes pack, access or scale, not {other:?}"))
            }
        };
        Ok(if quick {
            Settings {
                pack,
                access,
                scale,
                budget: Budget {
                    time: Duration::from_millis(200),
                    max_rounds: 5,
                    min_rounds: 3,
                    min_items: 100,
                },
                sizes: &[10, 100, 1_000],
                always_up_to: 1_000,
                limit: Duration::from_secs(10),
            }
        } else {
            Settings {
                pack,
                access,
                scale,
                budget: Budget {
                    time: Duration::from_secs(2),
                    max_rounds: 21,
                    min_rounds: 3,
                    min_items: 100,
                },
                sizes: &[10, 100, 1_000, 10_000, 100_000],
                always_up_to: 10_000,
                limit: Duration::from_secs(150),
            }
        })
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::parse(&args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (result, took) = timed(|| run(&settings));
    match result {
        Ok(()) => {
            println!("\nWhole run: {}.", duration(took));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("\n{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(settings: &Settings) -> Result<(), String> {
    header(settings);
    if settings.pack {
        pack(settings)?;
    }
    if settings.access {
        access(settings)?;
    }
    if settings.scale {
        scale(settings)?;
    }
    Ok(())
}

/// The version of `package` in this crate's `Cargo.lock`.
fn locked_version(package: &str) -> &'static str {
    let lock = include_str!("../Cargo.lock");
    let entry = format!("name = \"{package}\"\nversion = \"");
    lock.split_once(&entry)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("?", |(version, _)| version)
}

fn header(settings: &Settings) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# verdict and its peers\n");
    println!("- date: {}", today());
    println!("- machine: {cpu}, {cores} cores (nproc); one thread is used");
    println!(
        "- engines: verdict {} (this repository), regorus {} (interpreter and RVM), \
         cedar-policy {}, zen-engine {}, and a hand-written Rust `match` (the floor)",
        locked_version("verdict"),
        locked_version("regorus"),
        locked_version("cedar-policy"),
        locked_version("zen-engine"),
    );
    println!(
        "- timing: median over up to {} rounds of the nanoseconds per decision, after a warm-up; \
         at most about {} per measurement, over a prefix of the inputs \
         (shown as \"(timed of all)\") when a whole round would not fit; on the pack, the \
         floor and verdict are timed in {TURNS} turns each, one after the other, and each \
         number is their median turn",
        settings.budget.max_rounds,
        duration(settings.budget.time),
    );
    println!(
        "- prepared: the input already in the engine's own form; \
         from JSON text: parsing the facts text into that form is timed too"
    );
}

/// Today's date (UTC), from the system clock.
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let days = (secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// One set of inputs: the facts as JSON values and as text, and verdict's
/// decisions for them.
struct Inputs<O> {
    name: String,
    values: Vec<Value>,
    texts: Vec<String>,
    expected: Vec<O>,
}

impl<O: PartialEq + Debug> Inputs<O> {
    /// The inputs `values`, with verdict's decisions for them.
    fn new(
        name: String,
        values: Vec<Value>,
        verdict: &mut impl Engine<Output = O>,
    ) -> Result<Inputs<O>, String> {
        let texts = values.iter().map(Value::to_string).collect();
        let expected = values
            .iter()
            .map(|facts| verdict.decide(&verdict.prepare(facts)?))
            .collect::<Result<_, _>>()?;
        Ok(Inputs {
            name,
            values,
            texts,
            expected,
        })
    }

    /// Checks that `engine` decides every input as verdict did, both from
    /// its prepared input and from the text; returns the prepared inputs.
    fn check<E: Engine<Output = O>>(
        &self,
        engine: &mut E,
        name: &str,
    ) -> Result<Vec<E::Input>, String> {
        let prepared = self
            .values
            .iter()
            .map(|facts| engine.prepare(facts))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{name} cannot take the {} inputs: {e}", self.name))?;
        let mut mismatches = Vec::new();
        let mut count = 0;
        for ((input, text), expected) in prepared.iter().zip(&self.texts).zip(&self.expected) {
            for (form, got) in [
                ("prepared", engine.decide(input)),
                ("from JSON text", engine.decide_text(text)),
            ] {
                if got.as_ref() != Ok(expected) {
                    count += 1;
                    if mismatches.len() < 10 {
                        mismatches.push(format!(
                            "  {text}\n    verdict: {expected:?}\n    {name} ({form}): {got:?}"
                        ));
                    }
                }
            }
        }
        if count > 0 {
            return Err(format!(
                "{name} disagrees with verdict on {count} decisions of the {} inputs; the first:\n{}",
                self.name,
                mismatches.join("\n")
            ));
        }
        Ok(prepared)
    }
}

/// An engine's line in the pack table.
struct PackRow {
    name: String,
    load: Duration,
    /// Per set of inputs: prepared, from JSON text.
    times: Vec<(Measurement, Measurement)>,
}

/// An engine loaded and checked on the pack, ready to be timed.
struct Checked<E: Engine> {
    name: String,
    engine: E,
    load: Duration,
    /// Per set of inputs, the engine's prepared inputs.
    prepared: Vec<Vec<E::Input>>,
}

/// Loads `name` and checks it on every set of inputs.
fn pack_checked<O: PartialEq + Debug, E: Engine<Output = O>>(
    name: &str,
    load: impl Fn() -> Result<E, String>,
    sets: &[Inputs<O>],
) -> Result<Checked<E>, String> {
    let (engine, load) = timed_load(load);
    let mut engine = engine.map_err(|e| format!("{name} cannot load the pack: {e}"))?;
    let prepared = sets
        .iter()
        .map(|set| set.check(&mut engine, name))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Checked {
        name: name.into(),
        engine,
        load,
        prepared,
    })
}

/// One engine's times per set of inputs: prepared, from JSON text.
fn pack_times<O: PartialEq + Debug, E: Engine<Output = O>>(
    checked: &mut Checked<E>,
    sets: &[Inputs<O>],
    budget: Budget,
) -> Vec<(Measurement, Measurement)> {
    let engine = &mut checked.engine;
    sets.iter()
        .zip(&checked.prepared)
        .map(|(set, inputs)| {
            let prepared = measure(inputs, budget, |input| engine.decide(input));
            let text = measure(&set.texts, budget, |text| engine.decide_text(text));
            (prepared, text)
        })
        .collect()
}

/// Loads, checks and times one engine on the pack.
fn pack_row<O: PartialEq + Debug, E: Engine<Output = O>>(
    name: &str,
    load: impl Fn() -> Result<E, String>,
    sets: &[Inputs<O>],
    budget: Budget,
) -> Result<PackRow, String> {
    let mut checked = pack_checked(name, load, sets)?;
    let times = pack_times(&mut checked, sets, budget);
    eprintln!("pack: {name} done");
    Ok(PackRow {
        name: checked.name,
        load: checked.load,
        times,
    })
}

/// How often the two fastest engines are timed, in turns.
const TURNS: usize = 7;

/// Times the floor and verdict in turns, [`TURNS`] times each, and keeps
/// each cell's median turn. Both take a few milliseconds per measurement,
/// so one measurement sees one moment of a noisy machine; taken in turns,
/// the two see the same moments, and the ratio between them holds.
fn pack_pair<O, A, B>(
    mut a: Checked<A>,
    mut b: Checked<B>,
    sets: &[Inputs<O>],
    budget: Budget,
) -> [PackRow; 2]
where
    O: PartialEq + Debug,
    A: Engine<Output = O>,
    B: Engine<Output = O>,
{
    let mut turns: [Vec<Vec<(Measurement, Measurement)>>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..TURNS {
        turns[0].push(pack_times(&mut a, sets, budget));
        turns[1].push(pack_times(&mut b, sets, budget));
    }
    let median = |turns: &[Vec<(Measurement, Measurement)>]| -> Vec<(Measurement, Measurement)> {
        let pick = |cell: usize, text: bool| {
            let mut all: Vec<Measurement> = turns
                .iter()
                .map(|turn| if text { turn[cell].1 } else { turn[cell].0 })
                .collect();
            all.sort_by(|x, y| x.ns.total_cmp(&y.ns));
            all[all.len() / 2]
        };
        (0..sets.len())
            .map(|cell| (pick(cell, false), pick(cell, true)))
            .collect()
    };
    let rows = [
        PackRow {
            times: median(&turns[0]),
            name: a.name,
            load: a.load,
        },
        PackRow {
            times: median(&turns[1]),
            name: b.name,
            load: b.load,
        },
    ];
    eprintln!(
        "pack: {} and {} done, in {TURNS} turns",
        rows[0].name, rows[1].name
    );
    rows
}

fn pack(settings: &Settings) -> Result<(), String> {
    let combinations = workloads::pack_combinations();
    let mix = workloads::pack_mix(&combinations, 10_000);
    let mut verdict = verdict_engine::Pack::load()?;
    let sets = [
        Inputs::new(
            format!("every combination ({})", thousands(combinations.len())),
            combinations,
            &mut verdict,
        )?,
        Inputs::new(
            format!("seeded mix ({})", thousands(mix.len())),
            mix,
            &mut verdict,
        )?,
    ];
    let budget = settings.budget;
    let [floor, verdict] = pack_pair(
        pack_checked("Rust `match` (floor)", || Ok(rust_match::Pack), &sets)?,
        pack_checked("verdict", verdict_engine::Pack::load, &sets)?,
        &sets,
        budget,
    );
    let rows = [
        floor,
        verdict,
        pack_row(
            "regorus interpreter",
            rego::Interpreter::pack,
            &sets,
            budget,
        )?,
        pack_row("regorus RVM", rego::Vm::pack, &sets, budget)?,
        pack_row("cedar-policy", cedar::Cedar::pack, &sets, budget)?,
        pack_row("zen-engine", zen::Zen::pack, &sets, budget)?,
    ];

    println!("\n## The multichannel pack\n");
    println!(
        "Every engine decided all {} inputs as verdict does (decision and rule, prepared and \
         from JSON text) before anything was timed. Nanoseconds per decision; load is parsing \
         and compiling the rules.\n",
        thousands(sets.iter().map(|set| set.values.len()).sum())
    );
    let mut head = String::from("| engine | load |");
    let mut rule = String::from("|---|---:|");
    for set in &sets {
        head.push_str(&format!(
            " {}: prepared | {}: from JSON text |",
            set.name, set.name
        ));
        rule.push_str("---:|---:|");
    }
    println!("{head}\n{rule}");
    for row in &rows {
        let mut line = format!("| {} | {} |", row.name, duration(row.load));
        for (prepared, text) in &row.times {
            line.push_str(&format!(" {prepared} | {text} |"));
        }
        println!("{line}");
    }
    Ok(())
}

/// The document-access example: a set of roles, relations between facts,
/// the local time in a zone, denies over grants (see `access.rs`).
fn access(settings: &Settings) -> Result<(), String> {
    let requests = workloads::access_requests(10_000);
    let mut verdict = access::Verdict::load()?;
    let sets = [Inputs::new(
        format!("seeded requests ({})", thousands(requests.len())),
        requests,
        &mut verdict,
    )?];
    let budget = settings.budget;
    let [floor, verdict] = pack_pair(
        pack_checked("Rust (floor)", access::Floor::load, &sets)?,
        pack_checked("verdict", access::Verdict::load, &sets)?,
        &sets,
        budget,
    );
    let rows = [
        floor,
        verdict,
        pack_row("regorus interpreter", access::Rego::load, &sets, budget)?,
        pack_row("cedar-policy ²", access::Cedar::load, &sets, budget)?,
        pack_row("zen-engine", access::Zen::load, &sets, budget)?,
    ];
    println!("\n## The document-access example\n");
    println!(
        "Every engine decided all {} requests as verdict does (the deciding rule, prepared \
         and from JSON text) before anything was timed. Nanoseconds per decision; load is \
         parsing and compiling the rules.\n",
        thousands(sets.iter().map(|set| set.values.len()).sum())
    );
    println!("| engine | load | prepared | from JSON text |\n|---|---:|---:|---:|");
    for row in &rows {
        let mut line = format!("| {} | {} |", row.name, duration(row.load));
        for (prepared, text) in &row.times {
            line.push_str(&format!(" {prepared} | {text} |"));
        }
        println!("{line}");
    }
    println!(
        "\n² Cedar has no time zones: its context holds the local minutes and weekday, \
         which the caller computes with jiff. In the prepared column that is part of \
         building the request, before timing; from JSON text it is timed. verdict reads \
         the zone itself, timed in both."
    );
    Ok(())
}

/// One engine at one rule-set size.
enum ScaleCell {
    Measured {
        load: Duration,
        prepared: Measurement,
        text: Measurement,
    },
    /// Too slow: with the load time if the rules were loaded.
    Skipped { load: Option<Duration> },
    /// The engine cannot load the rules: why.
    Failed(String),
}

const SKIPPED: &str = "skipped (too slow)";
const FAILED: &str = "cannot load ¹";

/// How many decisions are timed to foresee how long a check would take.
const PROBE: usize = 20;

/// Loads, checks and times one engine on each rule set in turn. Past
/// `settings.always_up_to` rules, it skips a size where loading the rules or
/// checking every input is expected to take longer than `settings.limit`:
/// foreseen from the size before (load and decision costs grow at least
/// linearly with the rules), then from the load time and a few decisions.
fn scale_row<E: Engine<Output = Option<usize>>>(
    name: &str,
    load: impl Fn(&Scale) -> Result<E, String>,
    workloads: &[(Scale, Inputs<Option<usize>>)],
    settings: &Settings,
) -> Result<Vec<ScaleCell>, String> {
    let mut cells: Vec<ScaleCell> = Vec::new();
    let mut smaller: Option<usize> = None;
    for (scale, set) in workloads {
        let optional = scale.n > settings.always_up_to;
        let checks = 2 * set.values.len();
        let foreseen_too_slow = match (cells.last(), smaller) {
            (Some(ScaleCell::Skipped { .. }), _) => true,
            (Some(ScaleCell::Measured { load, prepared, .. }), Some(smaller)) => {
                let growth = (scale.n / smaller.max(1)) as f64;
                let check = Duration::from_secs_f64(prepared.ns * 1e-9 * checks as f64);
                load.mul_f64(growth) > settings.limit || check.mul_f64(growth) > settings.limit
            }
            _ => false,
        };
        smaller = Some(scale.n);
        if optional && foreseen_too_slow {
            cells.push(ScaleCell::Skipped { load: None });
            continue;
        }
        let (engine, load) = timed_load(|| load(scale));
        let mut engine = match engine {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!(
                    "scale: {name} cannot load {} rules: {e}",
                    thousands(scale.n)
                );
                cells.push(ScaleCell::Failed(e));
                continue;
            }
        };
        if optional {
            let probe = set
                .values
                .iter()
                .take(PROBE)
                .map(|facts| engine.prepare(facts))
                .collect::<Result<Vec<_>, _>>()?;
            let (_, took) = timed(|| probe.iter().map(|input| engine.decide(input)).count());
            let check = took.mul_f64(checks as f64 / probe.len().max(1) as f64);
            if load > settings.limit || check > settings.limit {
                cells.push(ScaleCell::Skipped { load: Some(load) });
                continue;
            }
        }
        let prepared = set.check(&mut engine, name)?;
        cells.push(ScaleCell::Measured {
            load,
            prepared: measure(&prepared, settings.budget, |input| engine.decide(input)),
            text: measure(&set.texts, settings.budget, |text| engine.decide_text(text)),
        });
        eprintln!("scale: {name}, {} rules: done", thousands(scale.n));
    }
    Ok(cells)
}

/// Checks verdict against the reference answer, a rule-by-rule scan.
fn check_reference(scale: &Scale, set: &Inputs<Option<usize>>) -> Result<(), String> {
    let mut wrong = Vec::new();
    let mut count = 0;
    for ((values, text), got) in scale.inputs.iter().zip(&set.texts).zip(&set.expected) {
        let first = scale.first_match(values);
        if first != *got {
            count += 1;
            if wrong.len() < 10 {
                wrong.push(format!(
                    "  {text}\n    first matching rule: {first:?}\n    verdict: {got:?}"
                ));
            }
        }
    }
    if count == 0 {
        return Ok(());
    }
    Err(format!(
        "verdict disagrees with a rule-by-rule scan of {} rules on {count} inputs; the first:\n{}",
        scale.n,
        wrong.join("\n")
    ))
}

fn scale(settings: &Settings) -> Result<(), String> {
    let workloads = settings
        .sizes
        .iter()
        .map(|&n| {
            let scale = Scale::generate(n);
            let mut verdict = verdict_engine::Scale::load(&scale.text)?;
            let values = scale.inputs.iter().map(workloads::scale_facts).collect();
            let set = Inputs::new(format!("{} rules", thousands(n)), values, &mut verdict)?;
            check_reference(&scale, &set)?;
            Ok((scale, set))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rows = [
        (
            "Rust scan (floor)",
            scale_row(
                "Rust scan (floor)",
                |s| Ok(rust_match::ScaleScan::new(s)),
                &workloads,
                settings,
            )?,
        ),
        (
            "verdict",
            scale_row(
                "verdict",
                |s| verdict_engine::Scale::load(&s.text),
                &workloads,
                settings,
            )?,
        ),
        (
            "regorus interpreter",
            scale_row(
                "regorus interpreter",
                rego::Interpreter::scale,
                &workloads,
                settings,
            )?,
        ),
        (
            "regorus RVM",
            scale_row("regorus RVM", rego::Vm::scale, &workloads, settings)?,
        ),
        (
            "cedar-policy",
            scale_row("cedar-policy", cedar::Cedar::scale, &workloads, settings)?,
        ),
        (
            "zen-engine",
            scale_row("zen-engine", zen::Zen::scale, &workloads, settings)?,
        ),
    ];

    println!("\n## Generated rule sets (first match)\n");
    println!(
        "N rules over 6 facts of 16 values, each rule an equality test on 2 to 4 facts, \
         the first matching rule decides; 10,000 seeded inputs, half aimed at a rule \
         (the generator in `verdict::testing::workloads`). Every engine decided every input as verdict \
         does (prepared and from JSON text), and verdict as a rule-by-rule scan does, before \
         anything was timed."
    );
    if settings.sizes.iter().any(|n| *n > settings.always_up_to) {
        println!(
            "Past {} rules, an engine is skipped where loading the rules or that check is \
             expected to take more than {}.",
            thousands(settings.always_up_to),
            duration(settings.limit)
        );
    }
    println!();
    let sizes: Vec<String> = settings.sizes.iter().map(|n| thousands(*n)).collect();
    type Show = fn(&ScaleCell) -> String;
    let tables: [(&str, Show); 3] = [
        ("Load (parse and compile) time", |cell| match cell {
            ScaleCell::Measured { load, .. }
            | ScaleCell::Skipped {
                load: Some(load), ..
            } => duration(*load),
            ScaleCell::Skipped { load: None } => SKIPPED.into(),
            ScaleCell::Failed(_) => FAILED.into(),
        }),
        (
            "Nanoseconds per decision, prepared input",
            |cell| match cell {
                ScaleCell::Measured { prepared, .. } => prepared.to_string(),
                ScaleCell::Skipped { .. } => SKIPPED.into(),
                ScaleCell::Failed(_) => FAILED.into(),
            },
        ),
        (
            "Nanoseconds per decision, from JSON text",
            |cell| match cell {
                ScaleCell::Measured { text, .. } => text.to_string(),
                ScaleCell::Skipped { .. } => SKIPPED.into(),
                ScaleCell::Failed(_) => FAILED.into(),
            },
        ),
    ];
    for (title, show) in tables {
        println!("### {title}\n");
        println!("| engine | {} |", sizes.join(" | "));
        println!("|---|{}", "---:|".repeat(sizes.len()));
        for (name, cells) in &rows {
            let shown: Vec<String> = cells.iter().map(show).collect();
            println!("| {name} | {} |", shown.join(" | "));
        }
        println!();
    }
    for (name, cells) in &rows {
        for (n, cell) in settings.sizes.iter().zip(cells) {
            if let ScaleCell::Failed(why) = cell {
                println!("¹ {name} cannot load {} rules: {why}", thousands(*n));
            }
        }
    }
    Ok(())
}
