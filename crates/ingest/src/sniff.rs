//! What kind of file was dropped, from its first bytes, before anything is parsed: gzip is
//! unpacked on the fly (pure Rust, so it works in the browser), the delimiter is taken from the
//! header line, and files that are not text tables at all (an Excel workbook, an HDF5/.h5ad
//! file, a zip, other binary data) are named, with advice on how to export a CSV, instead of
//! failing on their first byte.

use crate::IngestError;

/// How much of the start of a file is looked at to tell binary from text.
pub const PEEK: usize = 4096;

/// Whether the bytes start a gzip stream.
pub fn is_gzip(start: &[u8]) -> bool {
    start.starts_with(&[0x1f, 0x8b])
}

/// The kind of a non-table file from its first bytes, with what to do instead.
pub fn not_a_table(start: &[u8]) -> Option<IngestError> {
    let (what, advice) = if start.starts_with(b"PK\x03\x04") || start.starts_with(b"PK\x05\x06") {
        (
            "a zip archive (an Excel .xlsx workbook is one)",
            "From Excel, use File > Save As > \"CSV UTF-8\"; from a zip, unpack it and drop the CSV inside.",
        )
    } else if start.starts_with(b"\x89HDF\r\n\x1a\n") {
        (
            "an HDF5 file (an AnnData .h5ad or a 10x .h5 is one)",
            "The page and --input read it as HDF5 (vrnn_ingest::h5), not as a table.",
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

/// What a file is, from its first bytes (unpacking gzip): the format decides the reader, so a
/// file's name never matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HDF5 file: AnnData `.h5ad` or a 10x Genomics `.h5`.
    Hdf5,
    /// A MatrixMarket matrix (10x MEX `matrix.mtx`).
    MatrixMarket,
    /// Anything else: read as a text table, which names binary files it cannot read.
    Table,
}

/// The kind of a file from its first bytes (a few hundred are enough, gzip or not).
pub fn kind(start: &[u8]) -> Kind {
    let text = if is_gzip(start) {
        let mut out = Vec::new();
        let mut d = flate2::read::MultiGzDecoder::new(start);
        // A short or cut gzip head still yields its first bytes.
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(&mut d, 64), &mut out);
        out
    } else {
        start.to_vec()
    };
    if text.starts_with(b"\x89HDF\r\n\x1a\n") {
        Kind::Hdf5
    } else if text.to_ascii_lowercase().starts_with(b"%%matrixmarket") {
        Kind::MatrixMarket
    } else {
        Kind::Table
    }
}

/// Comma, tab or semicolon: whichever occurs most often outside quotes in the header line
/// (or in as much of it as was peeked at).
pub fn detect_delimiter(start: &[u8]) -> u8 {
    let start = strip_bom(start);
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

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3"), b',');
        assert_eq!(detect_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter(b"\xEF\xBB\xBFa\tb\tc\n"), b'\t');
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
            let e = not_a_table(bytes).expect(what);
            assert!(e.to_string().contains(what), "{e}");
        }
        assert!(not_a_table(b"Cell,Time,IRF1\n").is_none());
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn kinds_from_bytes_gzip_or_not() {
        use std::io::Write;
        let gz = |b: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(b).unwrap();
            e.finish().unwrap()
        };
        let mm = b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n1 1 5\n";
        assert_eq!(kind(mm), Kind::MatrixMarket);
        assert_eq!(kind(&gz(mm)), Kind::MatrixMarket);
        assert_eq!(kind(b"\x89HDF\r\n\x1a\n\0\0"), Kind::Hdf5);
        assert_eq!(kind(b"cell,time,G\n"), Kind::Table);
        assert_eq!(kind(&gz(b"cell,time,G\n")), Kind::Table);
        assert_eq!(kind(b""), Kind::Table);
    }
}
