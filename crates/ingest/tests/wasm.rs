//! The streaming reader compiled to WebAssembly and run where the app runs it: in a dedicated
//! worker of headless Chromium. Same inputs, same numbers as natively (the property tests in
//! streaming.rs cover the native side). Run with
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p vrnn-ingest --test wasm`.
#![cfg(target_arch = "wasm32")]

use std::io::Write;

use vrnn_ingest::{read_table, Ingest, IngestError, IngestOptions};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// 3 genes, 2 cell types, times 0/3/24, written with quotes, CRLF and a BOM.
fn table() -> String {
    let mut s = String::from("\u{feff}Cell_ID,Cell_Type,\"Time\",IRF1,\"Ünï\",CXCL10\r\n");
    for i in 0..60u32 {
        let t = [0, 3, 24][(i % 3) as usize];
        let kind = if i % 4 == 0 { "B" } else { "T" };
        let a = f64::from(i) * 0.25;
        let b = f64::from(i % 7) / 8.0;
        let c = if i % 5 == 0 {
            "NA".to_string()
        } else {
            format!("{}", i % 2)
        };
        s += &format!("\"c{i}\",{kind},{t},{a:.4},{b},{c}\r\n");
    }
    s
}

#[wasm_bindgen_test]
fn chunked_reading_matches_the_whole_file_and_the_expected_means() {
    let text = table();
    let whole = read_table(text.as_bytes(), &IngestOptions::default()).unwrap();
    assert_eq!(whole.times, vec![0.0, 3.0, 24.0]);
    assert_eq!(whole.genes, vec!["IRF1", "Ünï", "CXCL10"]);
    assert_eq!(whole.cells_per_time, vec![20, 20, 20]);
    // IRF1 at t = 0: cells 0, 3, ..., 57, value i / 4: mean 28.5 / 4.
    assert_eq!(whole.gene_means(0)[0], 7.125);
    for cut in [1, 7, 4096, 1 << 20] {
        let mut ingest = Ingest::new(IngestOptions::default());
        for chunk in text.as_bytes().chunks(cut) {
            ingest.push(chunk).unwrap();
        }
        let tally = ingest.finish().unwrap();
        assert_eq!(tally.dataset(None).unwrap(), whole, "cut {cut}");
        let b = tally.dataset(Some("B")).unwrap();
        assert_eq!(b.n_cells, 15);
    }
}

#[wasm_bindgen_test]
fn gzip_is_unpacked_in_the_worker() {
    let text = table();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let plain = read_table(text.as_bytes(), &IngestOptions::default()).unwrap();
    let unpacked = read_table(&bytes[..], &IngestOptions::default()).unwrap();
    assert_eq!(unpacked, plain);
}

#[wasm_bindgen_test]
fn bad_input_messages_are_the_same_as_natively() {
    let e = read_table(
        &b"Cell_ID,Time,G1\r\na,0,1\r\nb,1,oops\r\n"[..],
        &IngestOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3, column 3 (\"G1\"): value \"oops\" is not a number"
    );
    let e = read_table(&b"PK\x03\x04\x14\x00"[..], &IngestOptions::default()).unwrap_err();
    assert!(matches!(e, IngestError::NotATable { .. }));
}
