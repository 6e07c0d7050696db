//! `--input` and the options of reading it, shared by `run` and `inspect`: each input's format
//! is recognised from its bytes (never its name), a 10x folder or `matrix.mtx` finds its
//! feature and barcode lists beside it, and several inputs are 10x samples, one per time point.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::ValueEnum;

use vrnn_engine::ingest::h5::{self, H5Kind};
use vrnn_engine::ingest::mex::{self, count_barcodes, Features, Sample};
use vrnn_engine::ingest::sniff::{self, Kind};
use vrnn_engine::ingest::{ingest, read_small, Normalize, SampleSheet, Tally};
use vrnn_engine::IngestOptions;

#[derive(Clone, Copy, ValueEnum)]
pub enum NormalizeArg {
    /// Integer matrices are counts and are normalised; other values are used as they are.
    Auto,
    Yes,
    No,
}

#[derive(clap::Args, Clone)]
pub struct InputArgs {
    /// The data: a cells x genes CSV/TSV (optionally .gz), an AnnData .h5ad, a 10x Genomics
    /// .h5 or MEX folder (or its matrix.mtx(.gz)), or a bulk genes x samples table. Give it
    /// several times for 10x samples, one per time point.
    #[arg(long, required = true)]
    pub input: Vec<PathBuf>,
    /// Column holding the time of each cell (default: detected).
    #[arg(long)]
    pub time_column: Option<String>,
    /// A sample sheet (CSV/TSV: sample,time and optionally replicate, condition) naming the
    /// bulk table's columns, the 10x inputs (by folder or file name) or time labels.
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// The .h5ad matrix: X, raw, or layers/NAME.
    #[arg(long)]
    pub matrix: Option<String>,
    /// The .h5ad var column holding gene names (`index` for the var index; default: a symbols
    /// column when the index holds Ensembl ids).
    #[arg(long)]
    pub gene_names: Option<String>,
    /// Whether the values are raw counts to normalise (log1p of counts per 10,000 per cell;
    /// per million per bulk sample).
    #[arg(long, value_enum, default_value_t = NormalizeArg::Auto)]
    pub normalize: NormalizeArg,
}

/// What was read, and how long it took.
pub struct Input {
    pub tally: Tally,
    /// The inputs as named in messages and `run.json`.
    pub name: String,
    pub seconds: f64,
}

impl InputArgs {
    /// The reader's options; the sample sheet is read here.
    pub fn options(&self, cell_type: Option<String>) -> Result<IngestOptions, String> {
        let samples = match &self.samples {
            None => None,
            Some(p) => {
                let name = p.display().to_string();
                let f = File::open(p).map_err(|e| format!("--samples {name}: {e}"))?;
                let sheet = SampleSheet::parse(&name, f).map_err(|e| e.to_string())?;
                // A sheet also gives the times of a cells table's time labels.
                Some(sheet)
            }
        };
        let time_values = samples
            .as_ref()
            .map(|s: &SampleSheet| s.rows.iter().map(|r| (r.sample.clone(), r.time)).collect())
            .unwrap_or_default();
        Ok(IngestOptions {
            time_column: self.time_column.clone(),
            cell_type,
            time_values,
            normalize: match self.normalize {
                NormalizeArg::Auto => Normalize::Auto,
                NormalizeArg::Yes => Normalize::Yes,
                NormalizeArg::No => Normalize::No,
            },
            matrix: self.matrix.clone(),
            gene_names: self.gene_names.clone(),
            samples,
        })
    }

    /// Reads every input into one tally.
    pub fn read(&self, opts: &IngestOptions) -> Result<Input, String> {
        let t0 = Instant::now();
        let name = self
            .input
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let kinds: Vec<Kind> = self
            .input
            .iter()
            .map(|p| kind_of(p))
            .collect::<Result<_, _>>()?;
        let tally = if kinds.iter().all(|&k| k == Kind::MatrixMarket) {
            read_mex(&self.input, opts)?
        } else if kinds.iter().all(|&k| k == Kind::Hdf5) {
            read_hdf5(&self.input, opts)?
        } else if let [input] = &self.input[..] {
            let shown = input.display().to_string();
            let file = File::open(input).map_err(|e| format!("{shown}: {e}"))?;
            ingest(file, opts).map_err(|e| e.shown_for(&shown))?
        } else {
            return Err(format!(
                "--input is given {} times, but only 10x Genomics samples of one kind (MEX folders or .h5 files, one per time point) can be read together; these are: {}",
                self.input.len(),
                self.input
                    .iter()
                    .zip(&kinds)
                    .map(|(p, k)| format!("{} ({})", p.display(), describe(*k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        Ok(Input {
            tally,
            name,
            seconds: t0.elapsed().as_secs_f64(),
        })
    }
}

fn describe(k: Kind) -> &'static str {
    match k {
        Kind::Hdf5 => "HDF5",
        Kind::MatrixMarket => "10x MatrixMarket",
        Kind::Table => "a text table",
    }
}

/// What an input is: a folder is a 10x MEX folder; a file is recognised from its bytes.
fn kind_of(p: &Path) -> Result<Kind, String> {
    let shown = p.display().to_string();
    if p.is_dir() {
        return Ok(Kind::MatrixMarket);
    }
    let mut head = vec![0u8; sniff::PEEK];
    let mut f = File::open(p).map_err(|e| format!("{shown}: {e}"))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(format!("{shown}: {e}")),
        }
    }
    Ok(sniff::kind(&head[..n]))
}

/// The three files of a 10x sample: in a folder (Cell Ranger's names, also one or two levels
/// down: `outs/filtered_feature_bc_matrix/`), or beside a `matrix.mtx(.gz)`, sharing its prefix
/// (`GSM1_t3h_matrix.mtx.gz` with `GSM1_t3h_features.tsv.gz`).
fn mex_files(p: &Path) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let shown = p.display().to_string();
    let (dir, prefix) = if p.is_dir() {
        let mut dir = p.to_path_buf();
        for sub in ["outs", "filtered_feature_bc_matrix"] {
            if !has_matrix(&dir) && dir.join(sub).is_dir() {
                dir = dir.join(sub);
            }
        }
        (dir, String::new())
    } else {
        let file = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
        let prefix = file
            .to_ascii_lowercase()
            .find("matrix.mtx")
            .map(|i| file[..i].to_string())
            .unwrap_or_default();
        (p.parent().unwrap_or(Path::new(".")).to_path_buf(), prefix)
    };
    let find = |names: &[&str]| -> Option<PathBuf> {
        names.iter().find_map(|n| {
            [format!("{prefix}{n}"), format!("{prefix}{n}.gz")]
                .into_iter()
                .map(|f| dir.join(f))
                .find(|f| f.is_file())
        })
    };
    let matrix = if p.is_dir() {
        find(&["matrix.mtx"])
    } else {
        Some(p.to_path_buf())
    }
    .ok_or_else(|| format!("{shown}: no matrix.mtx(.gz) in this folder"))?;
    let features = find(&["features.tsv", "genes.tsv"]).ok_or_else(|| {
        format!("{shown}: no {prefix}features.tsv(.gz) or {prefix}genes.tsv beside the matrix")
    })?;
    let barcodes = find(&["barcodes.tsv"])
        .ok_or_else(|| format!("{shown}: no {prefix}barcodes.tsv(.gz) beside the matrix"))?;
    Ok((matrix, features, barcodes))
}

fn has_matrix(dir: &Path) -> bool {
    dir.join("matrix.mtx").is_file() || dir.join("matrix.mtx.gz").is_file()
}

/// Reads 10x samples: every feature and barcode list first (to match the genes), then each
/// matrix in one pass.
fn read_mex(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Tally, String> {
    let mut all = Vec::new();
    for p in inputs {
        let (matrix, features, barcodes) = mex_files(p)?;
        // Feature and barcode lists are small (a line per gene or cell), read whole.
        let small = |f: &Path| -> Result<Vec<u8>, String> {
            let shown = f.display().to_string();
            let file = File::open(f).map_err(|e| format!("{shown}: {e}"))?;
            read_small(&shown, file, 1 << 30).map_err(|e| e.to_string())
        };
        let fname = features.display().to_string();
        let bname = barcodes.display().to_string();
        let sample = Sample {
            name: mex::sample_name(&p.display().to_string()),
            features: Features::parse(&fname, &small(&features)?).map_err(|e| e.to_string())?,
            barcodes: count_barcodes(&bname, &small(&barcodes)?).map_err(|e| e.to_string())?,
        };
        let file = File::open(&matrix).map_err(|e| format!("{}: {e}", matrix.display()))?;
        all.push((sample, matrix.display().to_string(), file));
    }
    mex::read_mex(all, opts).map_err(|e| e.to_string())
}

/// Reads an `.h5ad`, or 10x `.h5` samples, from byte ranges of the files.
fn read_hdf5(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Tally, String> {
    let mut files = Vec::new();
    let mut bytes = 0;
    for p in inputs {
        let shown = p.display().to_string();
        let storage = h5::FileStorage::open(p).map_err(|e| format!("{shown}: {e}"))?;
        bytes += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let f = h5::open(&shown, Arc::new(storage)).map_err(|e| e.to_string())?;
        let kind = h5::kind(&shown, &f).map_err(|e| e.to_string())?;
        files.push((shown, f, kind));
    }
    match &files[..] {
        [(name, f, H5Kind::AnnData)] => h5::read_h5ad(name, f, opts, bytes, &mut |_| {})
            .map(|(tally, _)| tally)
            .map_err(|e| e.shown_for(name)),
        all if all.iter().all(|(_, _, k)| *k == H5Kind::Tenx) => {
            let inputs: Vec<(String, String, &h5::Hdf5File)> = all
                .iter()
                .map(|(name, f, _)| {
                    let stem = name.strip_suffix(".h5").unwrap_or(name);
                    (name.clone(), mex::sample_name(stem), f)
                })
                .collect();
            h5::read_tenx_h5(&inputs, opts, bytes, &mut |_| {}).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "--input is given {} times, but an AnnData .h5ad is read on its own; only 10x Genomics samples can be read together",
            inputs.len()
        )),
    }
}
