//! The one catalogue of bad inputs (`tests/bad-inputs/catalogue.json` at the repository root),
//! read here by the reader's own test: every case the reader refuses gives exactly its message,
//! every case refused later (at `Train`) reads without error, and README.md's list of bad inputs
//! is the one this catalogue generates. The CLI's and the browser's tests read the same file.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use serde::Deserialize;
use vrnn_ingest::{read_table, IngestOptions};

const CATALOGUE: &str = include_str!("../../../tests/bad-inputs/catalogue.json");
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
const BEGIN: &str = "<!-- bad-inputs:begin -->";
const END: &str = "<!-- bad-inputs:end -->";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    #[allow(dead_code)]
    about: Vec<String>,
    cases: Vec<Case>,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
enum Front {
    Ingest,
    Cli,
    Page,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy, Debug, Default)]
#[serde(rename_all = "lowercase")]
enum Stage {
    /// The reader refuses the file.
    #[default]
    Read,
    /// The file reads; the CLI's `run` and the page's `Train` refuse it.
    Train,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Options {
    time_column: Option<String>,
    cell_type: Option<String>,
    #[allow(dead_code)]
    clusters: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    head: String,
    row: String,
    count: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Case {
    id: String,
    file: String,
    readme: String,
    fronts: Vec<Front>,
    #[serde(default)]
    stage: Stage,
    text: Option<String>,
    hex: Option<String>,
    repeat: Option<Repeat>,
    /// A file of the repository (HDF5 fixtures, too large to write as hex), from its root.
    fixture: Option<String>,
    /// Several files dropped together (10x samples, a table and its sample sheet), by name;
    /// `file` is the one the message names. The CLI's and the page's tests only.
    files: Option<BTreeMap<String, String>>,
    /// Of `files`, those given to `--input`, and the one given to `--samples`.
    inputs: Option<Vec<String>>,
    samples: Option<String>,
    #[serde(default)]
    options: Options,
    message: Option<String>,
    messages: Option<BTreeMap<String, String>>,
    time_selector: Option<Vec<String>>,
    note: Option<String>,
}

impl Case {
    /// The file's bytes, from whichever of `text`, `hex`, `repeat` or `fixture` the case gives.
    fn bytes(&self) -> Vec<u8> {
        if let Some(files) = &self.files {
            return files[&self.file].clone().into_bytes();
        }
        if let Some(f) = &self.fixture {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            return std::fs::read(root.join(f)).expect("fixture");
        }
        match (&self.text, &self.hex, &self.repeat) {
            (Some(t), None, None) => t.clone().into_bytes(),
            (None, Some(h), None) => (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
                .collect(),
            (None, None, Some(r)) => {
                let mut out = r.head.clone().into_bytes();
                if r.row.contains("{i}") {
                    for i in 0..r.count {
                        out.extend(r.row.replace("{i}", &i.to_string()).bytes());
                    }
                } else {
                    out.extend(r.row.repeat(r.count).bytes());
                }
                out
            }
            _ => panic!("{}: give exactly one of text, hex and repeat", self.id),
        }
    }

    fn options(&self) -> IngestOptions {
        IngestOptions {
            time_column: self.options.time_column.clone(),
            cell_type: self.options.cell_type.clone(),
            ..IngestOptions::default()
        }
    }
}

fn catalogue() -> Catalogue {
    serde_json::from_str(CATALOGUE).expect("tests/bad-inputs/catalogue.json")
}

/// The catalogue itself is sound: unique ids and file names, each case checked somewhere and
/// saying what every front it names needs to check it.
#[test]
fn the_catalogue_is_well_formed() {
    let cat = catalogue();
    let mut ids = std::collections::HashSet::new();
    for c in &cat.cases {
        assert!(ids.insert(c.id.as_str()), "{}: id used twice", c.id);
        // An alert starts with the file's name: no name may be part of another's, so that no
        // case's alert can be taken for another's.
        for other in cat.cases.iter().filter(|o| o.id != c.id) {
            assert!(
                !other.file.contains(&c.file),
                "{}: {} is in {}",
                c.id,
                c.file,
                other.file
            );
        }
        assert!(!c.fronts.is_empty(), "{}: no front checks it", c.id);
        if let Some(files) = &c.files {
            assert!(
                files.contains_key(&c.file),
                "{}: `file` is not in `files`",
                c.id
            );
            assert!(
                !c.fronts.contains(&Front::Ingest),
                "{}: several files",
                c.id
            );
            let given = c.inputs.iter().flatten().chain(&c.samples);
            for name in given {
                assert!(
                    files.contains_key(name),
                    "{}: {name} is not in `files`",
                    c.id
                );
            }
            assert!(c.inputs.as_ref().is_some_and(|i| !i.is_empty()), "{}", c.id);
        } else {
            assert!(c.inputs.is_none() && c.samples.is_none(), "{}", c.id);
        }
        assert!(!c.readme.is_empty(), "{}: no readme text", c.id);
        c.bytes();
        // One README item per run of equal texts: a text met again later would be two items.
        let runs = cat
            .cases
            .windows(2)
            .filter(|w| w[1].readme == c.readme && w[0].readme != c.readme)
            .count()
            + usize::from(cat.cases[0].readme == c.readme);
        assert_eq!(runs, 1, "{}: its readme text is split by others", c.id);
        match c.stage {
            Stage::Read => {
                assert!(c.message.is_some(), "{}: a read case needs `message`", c.id);
                assert!(c.messages.is_none(), "{}: `messages` is for train", c.id);
            }
            Stage::Train => {
                let m = c.messages.as_ref().expect("a train case needs `messages`");
                assert!(c.message.is_none(), "{}: `message` is for read", c.id);
                assert!(!c.fronts.contains(&Front::Ingest), "{}", c.id);
                for f in &c.fronts {
                    let key = format!("{f:?}").to_lowercase();
                    assert!(m.contains_key(&key), "{}: no message for {key}", c.id);
                }
            }
        }
    }
}

/// Every case the reader refuses gives exactly the catalogue's message; every case refused
/// later reads without error, so the later check is what refuses it. All mismatches are listed.
#[test]
fn the_reader_gives_each_cases_message() {
    let cat = catalogue();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for c in cat.cases.iter().filter(|c| c.files.is_none()) {
        let result = read_table(&c.bytes()[..], &c.options());
        match (c.stage, result) {
            (Stage::Read, result) if c.fronts.contains(&Front::Ingest) => {
                checked += 1;
                let got = result.err().map(|e| e.to_string());
                if got != c.message {
                    wrong.push(format!("{}: the reader says {got:?}", c.id));
                }
            }
            (Stage::Train, Err(e)) => wrong.push(format!(
                "{}: must read, for the later check to refuse it, but: {e}",
                c.id
            )),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 20, "only {checked} cases checked");
}

/// README.md's list of bad inputs, as the catalogue writes it: one item per run of cases with
/// the same `readme` text.
fn readme_block(cat: &Catalogue) -> String {
    let mut items: Vec<&str> = Vec::new();
    for c in &cat.cases {
        if items.last() != Some(&c.readme.as_str()) {
            items.push(&c.readme);
        }
    }
    let mut block = format!("{BEGIN}\n");
    for (i, item) in items.iter().enumerate() {
        let end = if i + 1 == items.len() { "." } else { ";" };
        block += &format!("- {item}{end}\n");
    }
    block + END
}

#[test]
fn the_readme_lists_the_catalogue() {
    let expected = readme_block(&catalogue());
    let readme = std::fs::read_to_string(README).expect("README.md");
    let found = readme
        .find(BEGIN)
        .and_then(|b| readme[b..].find(END).map(|e| &readme[b..b + e + END.len()]));
    assert!(
        found == Some(expected.as_str()),
        "README.md's list of bad inputs differs from tests/bad-inputs/catalogue.json; \
         put this between its markers:\n\n{expected}\n"
    );
}
