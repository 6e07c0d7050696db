//! What kind of file was dropped, before it is parsed: gzip is unpacked on the fly (pure Rust,
//! so it works in the browser), the delimiter is taken from the header line, and files that
//! are not text tables at all (an Excel workbook, an HDF5/.h5ad file, a zip, other binary data)
//! are named, with advice on how to export a CSV, instead of failing on their first byte.

use std::io::{BufRead, BufReader, Read};

use crate::ingest::IngestError;

/// How much of the start of a file is looked at to tell binary from text.
const PEEK: usize = 4096;

/// The kind of a non-table file from its first bytes, with what to do instead.
fn not_a_table(start: &[u8]) -> Option<IngestError> {
    let (what, advice) = if start.starts_with(b"PK\x03\x04") || start.starts_with(b"PK\x05\x06") {
        (
            "a zip archive (an Excel .xlsx workbook is one)",
            "From Excel, use File > Save As > \"CSV UTF-8\"; from a zip, unpack it and drop the CSV inside.",
        )
    } else if start.starts_with(b"\x89HDF\r\n\x1a\n") {
        (
            "an HDF5 file (an AnnData .h5ad or a 10x .h5 is one)",
            "Export the cells x genes matrix with its time column to CSV, e.g. in Python: adata.to_df().join(adata.obs[[\"time\"]]).to_csv(\"cells.csv\").",
        )
    } else if start.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        (
            "a legacy Excel (.xls) workbook",
            "From Excel, use File > Save As > \"CSV UTF-8\".",
        )
    } else if start.contains(&0) {
        (
            "binary data",
            "Load a text table: a CSV or TSV file (optionally .gz) with one row per cell.",
        )
    } else {
        return None;
    };
    Some(IngestError::NotATable { what, advice })
}

/// Comma, tab or semicolon: whichever occurs most often outside quotes in the header line.
pub fn detect_delimiter(start: &[u8]) -> u8 {
    let line = start.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b'\t', b';'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        delimiters[best]
    }
}

/// Opens any supported input: plain or gzip-compressed text. Returns a buffered reader of the
/// text and its delimiter.
pub fn open<'a, R: Read + 'a>(input: R) -> Result<(Box<dyn BufRead + 'a>, u8), IngestError> {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let start = peek(&mut reader)?;
    if start.starts_with(&[0x1f, 0x8b]) {
        let mut text =
            BufReader::with_capacity(64 * 1024, flate2::bufread::MultiGzDecoder::new(reader));
        let inner = peek(&mut text)?;
        if let Some(e) = not_a_table(&inner) {
            return Err(e);
        }
        let d = detect_delimiter(strip_bom(&inner));
        return Ok((Box::new(text), d));
    }
    if let Some(e) = not_a_table(&start) {
        return Err(e);
    }
    let d = detect_delimiter(strip_bom(&start));
    Ok((Box::new(reader), d))
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// Up to [`PEEK`] bytes of the start without consuming them.
fn peek<R: BufRead>(r: &mut R) -> Result<Vec<u8>, IngestError> {
    let buf = r.fill_buf().map_err(|e| IngestError::Unreadable {
        line: 1,
        message: e.to_string(),
    })?;
    Ok(buf[..buf.len().min(PEEK)].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3"), b',');
        assert_eq!(detect_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2,5;3\n"), b';');
        assert_eq!(detect_delimiter(b"\"x;y\",b,c\n"), b',');
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }

    #[test]
    fn recognises_files_that_are_not_tables() {
        let cases: [(&[u8], &str); 4] = [
            (b"PK\x03\x04\x14\x00rest", "zip archive"),
            (b"\x89HDF\r\n\x1a\n\x00\x00", "HDF5"),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00", "legacy Excel"),
            (b"abc\x00\x01\x02", "binary data"),
        ];
        for (bytes, what) in cases {
            match open(bytes) {
                Err(e) => assert!(e.to_string().contains(what), "{e}"),
                Ok(_) => panic!("{what} accepted"),
            }
        }
    }

    #[test]
    fn unpacks_gzip_and_finds_tabs() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"Cell\tTime\tIRF1\nc1\t0\t1\n").unwrap();
        let bytes = gz.finish().unwrap();
        let (mut r, d) = open(&bytes[..]).unwrap();
        assert_eq!(d, b'\t');
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert!(s.starts_with("Cell\tTime"));
    }
}
