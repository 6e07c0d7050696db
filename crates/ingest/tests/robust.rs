//! The new parsers take any bytes without panicking: sample sheets, 10x feature lists and
//! MatrixMarket matrices (pushed in any chunks), time labels and sample names. (The HDF5 path
//! is tried with truncated and bit-flipped files in tests/h5.rs; the cargo-fuzz targets in
//! fuzz/ run the same inputs for longer.)

use proptest::prelude::*;
use vrnn_ingest::label::{parse_label, parse_sample_names};
use vrnn_ingest::mex::{plan, Features, MexReader, Sample};
use vrnn_ingest::{IngestOptions, SampleSheet};

/// Bytes that look like the format some of the time: a valid head, then anything.
fn text_like(head: &'static str) -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        proptest::collection::vec(
            prop_oneof![
                Just(b'\n'),
                Just(b'\t'),
                Just(b','),
                Just(b' '),
                Just(b'"'),
                Just(b'%'),
                b'0'..=b'9',
                any::<u8>()
            ],
            0..300,
        ),
    )
        .prop_map(move |(with_head, tail)| {
            let mut v = if with_head {
                head.as_bytes().to_vec()
            } else {
                Vec::new()
            };
            v.extend(tail);
            v
        })
}

fn samples() -> Vec<Sample> {
    let features = Features::parse(
        "f",
        b"G1\tA\tGene Expression\nG2\tB\tGene Expression\nG3\tC\tAntibody Capture\n",
    )
    .unwrap();
    ["t0h", "t6h"]
        .iter()
        .map(|n| Sample {
            name: n.to_string(),
            features: features.clone(),
            barcodes: 4,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sample_sheets_never_panic(bytes in text_like("sample,time,replicate,condition\n")) {
        let _ = SampleSheet::parse("s.csv", &bytes[..]);
    }

    #[test]
    fn feature_lists_never_panic(bytes in text_like("ENSG1\tIRF1\tGene Expression\n")) {
        let _ = Features::parse("features.tsv", &bytes);
    }

    #[test]
    fn matrices_never_panic(
        bytes in text_like("%%MatrixMarket matrix coordinate integer general\n3 4 5\n"),
        cut in 1usize..50,
        normalise in any::<bool>(),
    ) {
        let opts = IngestOptions {
            normalize: if normalise { vrnn_ingest::Normalize::Yes } else { vrnn_ingest::Normalize::No },
            ..IngestOptions::default()
        };
        let s = samples();
        let mut r = MexReader::new(plan(&s, &opts).unwrap(), &opts);
        r.start(0, "matrix.mtx");
        let mut ok = true;
        for piece in bytes.chunks(cut) {
            if r.push(piece, &s).is_err() {
                ok = false;
                break;
            }
        }
        if ok && r.end(&s).is_ok() {
            let _ = r.finish();
        }
    }

    #[test]
    fn labels_and_sample_names_never_panic(names in proptest::collection::vec(".{0,12}", 0..8)) {
        for n in &names {
            let _ = parse_label(n);
        }
        let _ = parse_sample_names(&names);
    }
}
