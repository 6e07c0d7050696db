//! Any bytes through the readers of issue 20's formats: a sample sheet, a 10x feature list, a
//! MatrixMarket matrix (in chunks), and an HDF5 file (`.h5ad` and 10x `.h5`). Each must return
//! a result or a message, never panic. The first byte picks the reader and the chunk size.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vrnn_ingest::h5;
use vrnn_ingest::mex::{plan, Features, MexReader, Sample};
use vrnn_ingest::{IngestOptions, SampleSheet};

fuzz_target!(|input: &[u8]| {
    let Some((&pick, data)) = input.split_first() else {
        return;
    };
    let opts = IngestOptions::default();
    match pick % 4 {
        0 => {
            let _ = SampleSheet::parse("s.csv", data);
        }
        1 => {
            let _ = Features::parse("features.tsv", data);
        }
        2 => {
            let f = Features::parse("f", b"G1\tA\nG2\tB\n").unwrap();
            let s = vec![Sample { name: "t0h".into(), features: f.clone(), barcodes: 3 }, Sample { name: "t6h".into(), features: f, barcodes: 3 }];
            let mut r = MexReader::new(plan(&s, &opts).unwrap(), &opts);
            r.start(0, "m");
            for piece in data.chunks(usize::from(pick / 4) + 1) {
                if r.push(piece, &s).is_err() {
                    return;
                }
            }
            if r.end(&s).is_ok() {
                let _ = r.finish();
            }
        }
        _ => {
            let storage = h5::BytesStorage::new(data.to_vec());
            if let Ok(f) = h5::open("x", Arc::new(storage)) {
                let _ = h5::read_h5ad("x", &f, &opts, 0, &mut |_| {});
                let _ = h5::read_tenx_h5(&[("x".into(), "t0h".into(), &f)], &opts, 0, &mut |_| {});
            }
        }
    }
});
