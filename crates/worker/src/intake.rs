//! The dropped files, whatever they are: each is recognised from its first bytes (never its
//! name), a sample sheet among them is found by its header, and the rest is one table, one
//! `.h5ad`, or 10x samples (MEX files grouped by folder or name prefix, or `.h5` files). Text is
//! streamed through `Blob.arrayBuffer()` a slice at a time (a `Cancel` is heard between
//! slices); HDF5 is read in byte ranges through `FileReaderSync`, which a worker may block on.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;

use vrnn_engine::ingest::h5::{self, error as hdf5_reader_error, H5Kind, Hdf5File};
use vrnn_engine::ingest::mex::{self, count_barcodes, Features, MexReader, Sample};
use vrnn_engine::ingest::sniff::{self, Kind};
use vrnn_engine::ingest::{Ingest, SampleSheet, Tally};
use vrnn_engine::{session, IngestError, IngestOptions, Session};
use vrnn_protocol::{H5adChoices, LoadOptions, ReadStats, Response, TimeValue};
use wasm_bindgen_futures::JsFuture;

use crate::load::{loaded, read_all, Extras};
use crate::saved;
use crate::state::{now_s, post, yield_to_event_loop, CancelFlag, Shared};

/// Bytes read from a file per step: large enough to be fast, small enough that memory stays
/// bounded however big the file is.
const CHUNK: f64 = 4.0 * 1024.0 * 1024.0;

/// A sample sheet is a small table; larger text files are not tried as one.
const MAX_SHEET_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// One dropped file.
struct Dropped {
    path: String,
    blob: web_sys::Blob,
    kind: Kind,
}

/// Why reading stopped early.
pub enum Stop {
    Cancelled,
    /// Another file was dropped meanwhile: this one is abandoned silently.
    Superseded,
    Bad(IngestError),
    Browser(String),
}

impl From<IngestError> for Stop {
    fn from(e: IngestError) -> Self {
        Stop::Bad(e)
    }
}

/// Reads the dropped files and installs the data set, or says why not; the previous data set
/// and results stay until the new one has fully loaded.
pub async fn load(
    state: Shared,
    cancel: CancelFlag,
    blobs: Vec<web_sys::Blob>,
    paths: Vec<String>,
    file_name: String,
    options: LoadOptions,
) {
    let generation = {
        let mut st = state.borrow_mut();
        st.load_generation += 1;
        st.load_generation
    };
    let still_current = || state.borrow().load_generation == generation;
    let failed = |message: String, time_candidates: Vec<String>, time_values: Vec<TimeValue>| {
        post(&Response::LoadFailed {
            file_name: file_name.clone(),
            message,
            time_candidates,
            time_values,
        })
    };
    if blobs.is_empty() {
        return failed("internal error: no file was sent".into(), vec![], vec![]);
    }
    let mut files = Vec::new();
    for (i, blob) in blobs.into_iter().enumerate() {
        let path = paths
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("file {}", i + 1));
        let head = match blob.slice_with_f64_and_f64(0.0, sniff::PEEK as f64) {
            Ok(h) => read_all(&h).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        // A session file is recognised from its first bytes, whatever its name.
        if paths.len() <= 1 && session::is_session(&head) {
            let opened = read_all(&blob)
                .await
                .map_err(|e| format!("the file could not be read: {e}"))
                .and_then(|bytes| Session::from_bytes(&bytes).map_err(|e| e.to_string()));
            if !still_current() {
                return;
            }
            return match opened {
                Ok(s) => saved::show(&state, &file_name, s, None),
                Err(e) => failed(format!("{file_name}: {e}"), vec![], vec![]),
            };
        }
        files.push(Dropped {
            path,
            kind: sniff::kind(&head),
            blob,
        });
    }
    let result = read(&files, &options, &cancel, &still_current).await;
    if !still_current() {
        return;
    }
    match result {
        Ok((tally, read, extras)) => match tally.dataset(None) {
            Ok(d) => loaded(&state, file_name, tally, d, read, extras),
            Err(e) => failed(format!("{file_name}: {e}"), vec![], vec![]),
        },
        Err(Stop::Cancelled) => post(&Response::LoadCancelled {
            file_name: file_name.clone(),
        }),
        Err(Stop::Superseded) => {}
        Err(Stop::Browser(e)) => failed(
            format!("{file_name}: the file could not be read: {e}"),
            vec![],
            vec![],
        ),
        Err(Stop::Bad(e)) => {
            let (candidates, values) = asked(&e);
            failed(e.shown_for(&file_name), candidates, values)
        }
    }
}

/// What an error asks the user to choose: time columns, and labels that need a time.
fn asked(e: &IngestError) -> (Vec<String>, Vec<TimeValue>) {
    let empty = |labels: &[String]| {
        labels
            .iter()
            .map(|l| TimeValue {
                label: l.clone(),
                time: None,
                unit: None,
                given: false,
            })
            .collect()
    };
    match e {
        IngestError::NoTimeColumn { candidates } => (candidates.clone(), vec![]),
        IngestError::NoObsTime { columns, .. } => (columns.clone(), vec![]),
        IngestError::UnmappedTimes { labels, .. }
        | IngestError::UnmappedObsTimes { labels, .. } => (vec![], empty(labels)),
        IngestError::UnmappedSamples { samples } => (vec![], empty(samples)),
        _ => (vec![], vec![]),
    }
}

type Read = (Tally, ReadStats, Extras);

async fn read(
    files: &[Dropped],
    options: &LoadOptions,
    cancel: &Cell<bool>,
    still_current: &dyn Fn() -> bool,
) -> Result<Read, Stop> {
    let started = now_s();
    // A sample sheet: a small text table with `sample` and `time` columns, dropped with data.
    let mut sheet = None;
    let mut data: Vec<&Dropped> = Vec::new();
    for f in files {
        if files.len() > 1
            && f.kind == Kind::Table
            && f.blob.size() < MAX_SHEET_BYTES
            && !is_tenx_list(&f.path)
        {
            let bytes = read_all(&f.blob).await.map_err(Stop::Browser)?;
            if let Ok(s) = SampleSheet::parse(&f.path, &bytes[..]) {
                if sheet.is_none() {
                    sheet = Some(s);
                    continue;
                }
            }
        }
        data.push(f);
    }
    let opts = IngestOptions {
        time_column: options.time_column.clone(),
        cell_type: None,
        time_values: options
            .time_values
            .iter()
            .cloned()
            .chain(
                sheet
                    .iter()
                    .flat_map(|s| s.rows.iter().map(|r| (r.sample.clone(), r.time))),
            )
            .collect(),
        normalize: options.normalize,
        matrix: options.matrix.clone(),
        gene_names: options.gene_names.clone(),
        samples: sheet,
    };
    let bytes: f64 = data.iter().map(|f| f.blob.size()).sum();
    let stats = |tally: &Tally| ReadStats {
        bytes,
        rows: tally.rows,
        seconds: now_s() - started,
        memory_bytes: 0.0,
    };
    if data.iter().any(|f| f.kind == Kind::MatrixMarket) {
        let tally = read_mex(&data, &opts, cancel, still_current).await?;
        let s = stats(&tally);
        return Ok((tally, s, Extras::default()));
    }
    if data.iter().all(|f| f.kind == Kind::Hdf5) {
        let (tally, extras) = read_hdf5(&data, &opts)?;
        let s = stats(&tally);
        return Ok((tally, s, extras));
    }
    match &data[..] {
        [f] => {
            let tally = stream(&f.blob, &f.path, cancel, still_current, Ingest::new(opts)).await?;
            let s = stats(&tally);
            let extras = Extras {
                time_columns: tally
                    .metadata_columns
                    .iter()
                    .chain(std::iter::once(&tally.time_column))
                    .cloned()
                    .collect(),
                h5ad: None,
            };
            Ok((tally, s, extras))
        }
        _ => Err(Stop::Bad(IngestError::File {
            file: data.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", "),
            message: format!(
                "{} files were dropped together, but only 10x Genomics samples (MEX files or folders, or .h5 files) and a sample sheet can be read together",
                data.len()
            ),
        })),
    }
}

/// A 10x feature or barcode list, by its name (`features.tsv.gz`, `GSM1_t3h_barcodes.tsv`).
fn is_tenx_list(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    ["features.tsv", "genes.tsv", "barcodes.tsv"]
        .iter()
        .any(|n| name.contains(n))
}

/// Pushes a blob through a streaming table reader a slice at a time.
async fn stream(
    blob: &web_sys::Blob,
    file_name: &str,
    cancel: &Cell<bool>,
    still_current: &dyn Fn() -> bool,
    mut ingest: Ingest,
) -> Result<Tally, Stop> {
    slices(
        blob,
        file_name,
        cancel,
        still_current,
        &mut |bytes| ingest.push(bytes),
        &|| 0,
    )
    .await?;
    Ok(ingest.finish()?)
}

/// Hands a blob's bytes to `push`, a slice at a time, reporting progress four times a second
/// and stopping at a `Cancel` or a newer drop.
async fn slices(
    blob: &web_sys::Blob,
    file_name: &str,
    cancel: &Cell<bool>,
    still_current: &dyn Fn() -> bool,
    push: &mut dyn FnMut(&[u8]) -> Result<(), IngestError>,
    rows: &dyn Fn() -> u64,
) -> Result<(), Stop> {
    let size = blob.size();
    let started = now_s();
    let mut last_report = started;
    let mut buf = Vec::new();
    let mut pos = 0.0;
    while pos < size {
        let end = (pos + CHUNK).min(size);
        let slice = blob
            .slice_with_f64_and_f64(pos, end)
            .map_err(|e| Stop::Browser(format!("{e:?}")))?;
        let data = JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| Stop::Browser(format!("{e:?}")))?;
        let bytes = js_sys::Uint8Array::new(&data);
        buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut buf);
        push(&buf)?;
        pos = end;
        let now = now_s();
        if now - last_report > 0.25 {
            last_report = now;
            post(&Response::Reading {
                file_name: file_name.to_string(),
                bytes: pos,
                total: size,
                rows: rows(),
                seconds: now - started,
            });
            // A macrotask, so that a queued Cancel is handled before the next slice.
            yield_to_event_loop().await;
        }
        if cancel.get() {
            return Err(Stop::Cancelled);
        }
        if !still_current() {
            return Err(Stop::Superseded);
        }
    }
    Ok(())
}

/// 10x MEX samples: files grouped by folder or by the prefix before `matrix.mtx`,
/// `features.tsv`/`genes.tsv` and `barcodes.tsv`.
async fn read_mex(
    files: &[&Dropped],
    opts: &IngestOptions,
    cancel: &Cell<bool>,
    still_current: &dyn Fn() -> bool,
) -> Result<Tally, Stop> {
    let mut groups: BTreeMap<String, [Option<&Dropped>; 3]> = BTreeMap::new();
    for f in files {
        let lower = f.path.to_ascii_lowercase();
        let (at, part) = if let Some(i) = lower.rfind("matrix.mtx") {
            (i, 0)
        } else if let Some(i) = lower
            .rfind("features.tsv")
            .or_else(|| lower.rfind("genes.tsv"))
        {
            (i, 1)
        } else if let Some(i) = lower.rfind("barcodes.tsv") {
            (i, 2)
        } else {
            return Err(Stop::Bad(IngestError::File {
                file: f.path.clone(),
                message: "dropped with 10x samples, but neither a matrix.mtx, a features.tsv (genes.tsv) nor a barcodes.tsv".into(),
            }));
        };
        groups.entry(f.path[..at].to_string()).or_default()[part] = Some(f);
    }
    let mut samples = Vec::new();
    let mut matrices = Vec::new();
    for (prefix, [m, feat, bc]) in &groups {
        let missing = |what: &str| {
            Stop::Bad(IngestError::File {
                file: format!("{prefix}*"),
                message: format!("the 10x sample has no {what}; drop its matrix.mtx, features.tsv and barcodes.tsv together (or its folder)"),
            })
        };
        let (m, feat, bc) = (
            m.ok_or_else(|| missing("matrix.mtx"))?,
            feat.ok_or_else(|| missing("features.tsv"))?,
            bc.ok_or_else(|| missing("barcodes.tsv"))?,
        );
        let small = |f: &Dropped| {
            let path = f.path.clone();
            let blob = f.blob.clone();
            async move {
                let raw = read_all(&blob).await.map_err(Stop::Browser)?;
                vrnn_engine::ingest::read_small(&path, &raw[..], 1 << 30).map_err(Stop::Bad)
            }
        };
        let features = Features::parse(&feat.path, &small(feat).await?)?;
        let barcodes = count_barcodes(&bc.path, &small(bc).await?)?;
        let name = mex::sample_name(&m.path);
        samples.push(Sample {
            name,
            features,
            barcodes,
        });
        matrices.push(m);
    }
    let plan = mex::plan(&samples, opts)?;
    let reader = RefCell::new(MexReader::new(plan, opts));
    for (i, m) in matrices.iter().enumerate() {
        reader.borrow_mut().start(i, &m.path);
        slices(
            &m.blob,
            &m.path,
            cancel,
            still_current,
            &mut |bytes| reader.borrow_mut().push(bytes, &samples),
            &|| 0,
        )
        .await?;
        reader.borrow_mut().end(&samples)?;
    }
    Ok(reader.into_inner().finish()?)
}

thread_local! {
    /// The dropped HDF5 files and the synchronous reader their ranges are read with: the
    /// storage of `hdf5-reader` must be `Send + Sync`, which a `Blob` is not, so it holds an
    /// index into this list instead.
    static BLOBS: RefCell<(Vec<web_sys::Blob>, Option<web_sys::FileReaderSync>)> =
        const { RefCell::new((Vec::new(), None)) };
}

/// Bytes `offset..offset + len` of dropped HDF5 file `i`.
fn read_range(i: usize, offset: u64, len: usize) -> Result<Vec<u8>, hdf5_reader_error::Error> {
    BLOBS.with(|b| {
        let mut b = b.borrow_mut();
        if b.1.is_none() {
            b.1 = web_sys::FileReaderSync::new().ok();
        }
        let (blobs, reader) = &*b;
        let fail = |e: wasm_bindgen::JsValue| {
            hdf5_reader_error::Error::InvalidData(format!(
                "the browser could not read the file: {e:?}"
            ))
        };
        let blob = blobs
            .get(i)
            .ok_or_else(|| hdf5_reader_error::Error::InvalidData("no such file".into()))?;
        let reader = reader.as_ref().ok_or_else(|| {
            hdf5_reader_error::Error::InvalidData("no FileReaderSync in this worker".into())
        })?;
        let part = blob
            .slice_with_f64_and_f64(offset as f64, (offset + len as u64) as f64)
            .map_err(fail)?;
        let buf = reader.read_as_array_buffer(&part).map_err(fail)?;
        Ok(js_sys::Uint8Array::new(&buf).to_vec())
    })
}

/// Blocks of a file kept between reads: HDF5 metadata is many small reads close together.
const BLOCK: usize = 64 << 10;
const BLOCKS: usize = 256;

/// An `.h5ad`, or 10x `.h5` samples, read in byte ranges.
fn read_hdf5(files: &[&Dropped], opts: &IngestOptions) -> Result<(Tally, Extras), Stop> {
    BLOBS.with(|b| b.borrow_mut().0 = files.iter().map(|f| f.blob.clone()).collect());
    let mut opened: Vec<(String, Hdf5File, H5Kind)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let len = f.blob.size() as u64;
        let ranges = h5::RangeRequestStorage::new(len, move |off, n| read_range(i, off, n));
        let storage = h5::BlockCacheStorage::new(Arc::new(ranges), BLOCK, BLOCKS);
        let h = h5::open(&f.path, Arc::new(storage))?;
        let kind = h5::kind(&f.path, &h)?;
        opened.push((f.path.clone(), h, kind));
    }
    let bytes: u64 = files.iter().map(|f| f.blob.size() as u64).sum();
    let name = files
        .iter()
        .map(|f| f.path.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    // The read blocks this worker (FileReaderSync), so progress is posted from inside it, four
    // times a second; a Cancel is heard only once it is done.
    let started = now_s();
    let mut last = started;
    let mut progress = |fraction: f64| {
        let now = now_s();
        if now - last > 0.25 {
            last = now;
            post(&Response::Reading {
                file_name: name.clone(),
                bytes: fraction * bytes as f64,
                total: bytes as f64,
                rows: 0,
                seconds: now - started,
            });
        }
    };
    let result = match &opened[..] {
        [(name, h, H5Kind::AnnData)] => {
            let (tally, summary) = h5::read_h5ad(name, h, opts, bytes, &mut progress)?;
            Ok((
                tally,
                Extras {
                    time_columns: summary.obs_columns,
                    h5ad: Some(H5adChoices {
                        matrices: summary.matrices,
                        gene_names: summary.gene_name_columns,
                    }),
                },
            ))
        }
        all if all.iter().all(|(_, _, k)| *k == H5Kind::Tenx) => {
            let inputs: Vec<(String, String, &Hdf5File)> = all
                .iter()
                .map(|(name, h, _)| {
                    let stem = name.strip_suffix(".h5").unwrap_or(name);
                    (name.clone(), mex::sample_name(stem), h)
                })
                .collect();
            Ok((
                h5::read_tenx_h5(&inputs, opts, bytes, &mut progress)?,
                Extras::default(),
            ))
        }
        _ => Err(Stop::Bad(IngestError::File {
            file: files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", "),
            message: "an AnnData .h5ad is read on its own; only 10x Genomics .h5 samples can be read together".into(),
        })),
    };
    BLOBS.with(|b| b.borrow_mut().0.clear());
    result
}
