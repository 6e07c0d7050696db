//! Property tests: the streaming reader equals a naive whole-matrix computation, whatever the
//! row order and wherever the chunk boundaries fall (inside quoted fields, multi-byte UTF-8
//! characters, CRLF pairs or gzip blocks), and chunking never changes an outcome, error or not.

#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use vrnn_ingest::{Dataset, Ingest, IngestError, IngestOptions};

const TIMES: [f64; 4] = [0.0, 0.5, 3.0, 24.0];
const GENES: [&str; 5] = ["IRF1", "Ünï", "G,1", "γ-IFN", "CXCL10"];
const TYPES: [&str; 3] = ["T", "B", "NKé"];

#[derive(Debug, Clone)]
struct Cell {
    time: usize,
    kind: usize,
    /// None: missing (written as NA or left empty).
    values: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
struct Table {
    genes: usize,
    cells: Vec<Cell>,
    tab: bool,
    crlf: bool,
    bom: bool,
    quote_all: bool,
}

fn value() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        3 => (0u32..60).prop_map(|v| Some(f64::from(v))),
        2 => (-1e3f64..1e3).prop_map(Some),
        1 => Just(None),
    ]
}

fn table() -> impl Strategy<Value = Table> {
    (1usize..=5, 2usize..=4).prop_flat_map(|(genes, times)| {
        let cell = (
            0..times,
            0..TYPES.len(),
            proptest::collection::vec(value(), genes),
        )
            .prop_map(|(time, kind, values)| Cell { time, kind, values });
        (
            proptest::collection::vec(cell, 2..30),
            any::<(bool, bool, bool, bool)>(),
        )
            .prop_map(move |(mut cells, (tab, crlf, bom, quote_all))| {
                // At least two time points, so the table is a time course.
                cells[0].time = 0;
                cells[1].time = 1;
                Table {
                    genes,
                    cells,
                    tab,
                    crlf,
                    bom,
                    quote_all,
                }
            })
    })
}

impl Table {
    fn render(&self, order: &[usize]) -> Vec<u8> {
        let d = if self.tab { "\t" } else { "," };
        let nl = if self.crlf { "\r\n" } else { "\n" };
        let field = |s: &str| {
            if self.quote_all || s.contains(d) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        let mut header = vec![field("Cell_ID"), field("Cell_Type"), field("Time")];
        header.extend(GENES[..self.genes].iter().map(|g| field(g)));
        out += &header.join(d);
        out += nl;
        for &i in order {
            let c = &self.cells[i];
            let mut row = vec![
                field(&format!("zélle_{i}")),
                field(TYPES[c.kind]),
                field(&TIMES[c.time].to_string()),
            ];
            for (g, v) in c.values.iter().enumerate() {
                row.push(match v {
                    Some(x) => field(&x.to_string()),
                    None if (i + g) % 2 == 0 => "NA".to_string(),
                    None => String::new(),
                });
            }
            out += &row.join(d);
            out += nl;
        }
        out.into_bytes()
    }

    /// What the per-time summary must be, computed from the whole matrix in two passes.
    fn check(&self, d: &Dataset, kind: Option<usize>) {
        let cells: Vec<&Cell> = self
            .cells
            .iter()
            .filter(|c| kind.is_none_or(|k| c.kind == k))
            .collect();
        let mut times: Vec<usize> = cells.iter().map(|c| c.time).collect();
        times.sort();
        times.dedup();
        let expected: Vec<f64> = times.iter().map(|&t| TIMES[t]).collect();
        assert_eq!(d.times, expected);
        assert_eq!(d.n_cells, cells.len() as u64);
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs())),
                "{what}: {a} vs {b}"
            )
        };
        for (ti, &t) in times.iter().enumerate() {
            let here: Vec<&&Cell> = cells.iter().filter(|c| c.time == t).collect();
            assert_eq!(d.cells_per_time[ti], here.len() as u64);
            for g in 0..self.genes {
                let xs: Vec<f64> = here.iter().filter_map(|c| c.values[g]).collect();
                let mean = if xs.is_empty() {
                    0.0
                } else {
                    xs.iter().sum::<f64>() / xs.len() as f64
                };
                close(f64::from(d.gene_means(g)[ti]), mean, "mean");
                let se = if xs.len() > 1 {
                    let n = xs.len() as f64;
                    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
                    (var / n).sqrt()
                } else {
                    0.0
                };
                close(f64::from(d.std_errors[g * times.len() + ti]), se, "se");
            }
        }
        for g in 0..self.genes {
            let xs: Vec<f64> = cells.iter().filter_map(|c| c.values[g]).collect();
            let var = if xs.len() > 1 {
                let n = xs.len() as f64;
                let m = xs.iter().sum::<f64>() / n;
                xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            assert!(
                (d.variances[g] - var).abs() <= 1e-6 * (1.0 + var),
                "variance of gene {g}: {} vs {var}",
                d.variances[g]
            );
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Pushes `bytes` cut at the given sizes (cycled), as the worker pushes file slices.
fn pushed(bytes: &[u8], cuts: &[usize]) -> Result<vrnn_ingest::Tally, IngestError> {
    let mut ing = Ingest::new(IngestOptions::default());
    let (mut at, mut i) = (0, 0);
    while at < bytes.len() {
        let n = cuts[i % cuts.len()].min(bytes.len() - at);
        ing.push(&bytes[at..at + n])?;
        at += n;
        i += 1;
    }
    ing.finish()
}

fn whole(bytes: &[u8]) -> Result<Dataset, IngestError> {
    pushed(bytes, &[bytes.len().max(1)])?.dataset(None)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn streaming_equals_the_naive_computation(
        table in table(),
        seed in any::<u64>(),
        cuts in proptest::collection::vec(1usize..40, 1..8),
        gz in any::<bool>(),
    ) {
        // A random row order (cells need not be sorted by time).
        let mut order: Vec<usize> = (0..table.cells.len()).collect();
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let text = table.render(&order);
        let bytes = if gz { gzip(&text) } else { text };
        let tally = pushed(&bytes, &cuts).unwrap();
        let all = tally.dataset(None).unwrap();
        table.check(&all, None);
        prop_assert_eq!(&all, &whole(&bytes).unwrap());
        // Each cell type on its own, from the same pass.
        for t in tally.cell_types() {
            let k = TYPES.iter().position(|&n| n == t.name).unwrap();
            match tally.dataset(Some(&t.name)) {
                Ok(d) => table.check(&d, Some(k)),
                Err(IngestError::SingleTimePoint { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn chunking_never_changes_the_outcome(
        table in table(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cuts in proptest::collection::vec(1usize..40, 1..8),
    ) {
        // Damaged files too: whatever the whole file gives (a data set or a message with its
        // line and column), every chunking gives the same.
        let order: Vec<usize> = (0..table.cells.len()).collect();
        let mut bytes = table.render(&order);
        for (at, b) in flips {
            let n = bytes.len();
            bytes[at % n] = b;
        }
        let expected = whole(&bytes);
        let got = pushed(&bytes, &cuts).and_then(|t| t.dataset(None));
        // Compared as printed: a variance of values whose sums overflow is NaN, which is not
        // equal to itself, while the same outcome prints the same (Debug prints every float
        // exactly, so no other difference can hide).
        prop_assert_eq!(format!("{got:?}"), format!("{expected:?}"));
    }
}
