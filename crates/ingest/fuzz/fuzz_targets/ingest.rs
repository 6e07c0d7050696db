//! Any bytes, cut into any chunks, through the streaming reader: it must return a data set or
//! a message, never panic, and the result must not depend on the chunking (except which
//! message a damaged gzip file gets; see `damaged_gzip`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrnn_ingest::{Ingest, IngestOptions};

fn read(data: &[u8], cut: usize) -> Result<vrnn_ingest::Tally, vrnn_ingest::IngestError> {
    let mut ingest = Ingest::new(IngestOptions::default());
    for chunk in data.chunks(cut.max(1)) {
        ingest.push(chunk)?;
    }
    ingest.finish()
}

/// A damaged gzip stream is reported when the decoder reaches the damage, and how much text
/// inflates before that depends on how the input was cut; the text before it may have its own
/// problem, found first. Either way the file is refused: only the message may differ.
fn damaged_gzip(e: &vrnn_ingest::IngestError) -> bool {
    matches!(e, vrnn_ingest::IngestError::Unreadable { message, .. } if message.contains("gzip"))
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size; the rest is the file.
    let Some((&cut, data)) = input.split_first() else {
        return;
    };
    let whole = read(data, data.len());
    let pieces = read(data, usize::from(cut % 64) + 1);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => {
            let (da, db) = (a.dataset(None), b.dataset(None));
            assert_eq!(da, db);
            for t in a.cell_types() {
                let d = a.dataset(Some(&t.name));
                if let Ok(d) = d {
                    let _ = d.select(Some(3), &["IRF1".into()]);
                }
            }
            if let Ok(d) = da {
                let _ = d.select(None, &[]);
            }
        }
        (Err(a), Err(b)) if damaged_gzip(a) || damaged_gzip(b) => {}
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("chunking changed the outcome: {:?} vs {:?}", whole.is_ok(), pieces.is_ok()),
    }
});
