//! The sample sheet: which time (and replicate, and condition) each sample is. A small CSV or
//! TSV, optionally gzipped, with a `sample` and a `time` column; the time may be a number or a
//! label such as `6h`. It names bulk table columns, 10x inputs (by file or folder name), or
//! labels of a cells table's time column.

use std::collections::HashMap;
use std::io::Read;

use csv_core::{ReadRecordResult, ReaderBuilder};

use crate::error::{shown, IngestError, Location};
use crate::label::{common_scale, parse_label};
use crate::sniff::{detect_delimiter, is_gzip};
use crate::value::parse_number;

/// A sample sheet larger than this is not one (a sheet has a row per sample).
const MAX_SHEET_BYTES: usize = 64 << 20;

/// One sample's row.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    pub sample: String,
    pub time: f64,
    pub replicate: Option<String>,
    pub condition: Option<String>,
}

/// A parsed sample sheet, rows in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SampleSheet {
    pub name: String,
    pub rows: Vec<SampleRow>,
    /// Whether the sheet has a `replicate` column.
    pub has_replicates: bool,
}

/// The records of a small delimited text: (line, fields), quotes handled by csv-core.
pub(crate) fn records(text: &[u8]) -> Vec<(u64, Vec<String>)> {
    let mut reader = ReaderBuilder::new()
        .delimiter(detect_delimiter(text))
        .build();
    let mut out = Vec::new();
    let mut input = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let (mut buf, mut ends) = (vec![0u8; text.len() + 16], vec![0usize; 4096]);
    let (mut nbuf, mut nends) = (0usize, 0usize);
    let mut line = 1;
    loop {
        if nbuf == 0 && nends == 0 {
            line = reader.line();
        }
        let (res, nin, nout, nend) =
            reader.read_record(input, &mut buf[nbuf..], &mut ends[nends..]);
        input = &input[nin..];
        nbuf += nout;
        nends += nend;
        match res {
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::OutputFull => buf.resize(buf.len() * 2, 0),
            ReadRecordResult::Record => {
                let fields: Vec<String> = (0..nends)
                    .map(|c| {
                        let start = if c == 0 { 0 } else { ends[c - 1] };
                        String::from_utf8_lossy(&buf[start..ends[c]])
                            .trim()
                            .to_string()
                    })
                    .collect();
                if fields.iter().any(|f| !f.is_empty()) {
                    out.push((line, fields));
                }
                nbuf = 0;
                nends = 0;
            }
            ReadRecordResult::InputEmpty => {
                if input.is_empty() {
                    // Flush the last record, which may lack its line break.
                    continue;
                }
            }
            ReadRecordResult::End => return out,
        }
    }
}

/// Reads a small file whole (a sample sheet, a 10x feature or barcode list), unpacking gzip;
/// refuses one larger than `limit`.
pub fn read_small<R: Read>(name: &str, mut input: R, limit: usize) -> Result<Vec<u8>, IngestError> {
    let mut raw = Vec::new();
    input
        .by_ref()
        .take(limit as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| IngestError::File {
            file: name.into(),
            message: e.to_string(),
        })?;
    let bytes = if is_gzip(&raw) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| IngestError::File {
                file: name.into(),
                message: format!("the gzip data is damaged ({e})"),
            })?;
        out
    } else {
        raw
    };
    if bytes.len() > limit {
        return Err(IngestError::File {
            file: name.into(),
            message: format!("larger than {} MB; is this the right file?", limit >> 20),
        });
    }
    Ok(bytes)
}

impl SampleSheet {
    /// Parses a sheet: a header with `sample` and `time` (any case; `sample_id`, `name` and
    /// `timepoint` are accepted too), optionally `replicate` and `condition`.
    pub fn parse<R: Read>(name: &str, input: R) -> Result<SampleSheet, IngestError> {
        let bytes = read_small(name, input, MAX_SHEET_BYTES)?;
        let recs = records(&bytes);
        let bad = |message: String| IngestError::File {
            file: name.into(),
            message,
        };
        let Some((_, header)) = recs.first() else {
            return Err(bad("the sample sheet is empty".into()));
        };
        let find = |names: &[&str]| {
            header.iter().position(|h| {
                let h = h.to_ascii_lowercase();
                names.iter().any(|n| h == *n)
            })
        };
        let sample = find(&[
            "sample",
            "samples",
            "sample_id",
            "sampleid",
            "sample_name",
            "name",
            "file",
        ])
        .ok_or_else(|| bad(format!("no \"sample\" column in the header {header:?}")))?;
        let time = find(&[
            "time",
            "timepoint",
            "time_point",
            "hours",
            "hour",
            "day",
            "days",
            "age",
        ])
        .ok_or_else(|| bad(format!("no \"time\" column in the header {header:?}")))?;
        let replicate = find(&["replicate", "rep", "replicates"]);
        let condition = find(&["condition", "treatment", "group", "genotype"]);
        let mut readings = Vec::new();
        let mut rows = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        for (line, fields) in &recs[1..] {
            let at = |c: usize| Location::field(*line, c, header);
            let get = |c: usize| fields.get(c).cloned().unwrap_or_default();
            let s = get(sample);
            if s.is_empty() {
                return Err(bad(format!("{}: the sample name is empty", at(sample))));
            }
            if let Some(first) = seen.insert(s.clone(), *line) {
                return Err(bad(format!(
                    "{}: sample \"{s}\" is listed twice (first on line {first})",
                    at(sample)
                )));
            }
            let t = get(time);
            let reading = parse_number(t.as_bytes())
                .filter(|x| x.is_finite())
                .map(|value| crate::label::Reading { value, unit: None })
                .or_else(|| parse_label(&t))
                .ok_or_else(|| {
                    bad(format!(
                        "{}: time \"{}\" of sample \"{s}\" is not a number or a time such as 6h",
                        at(time),
                        shown(t.as_bytes())
                    ))
                })?;
            readings.push(reading);
            let opt = |c: Option<usize>| c.map(get).filter(|v| !v.is_empty());
            rows.push(SampleRow {
                sample: s,
                time: reading.value,
                replicate: opt(replicate),
                condition: opt(condition),
            });
        }
        if rows.is_empty() {
            return Err(bad("the sample sheet has a header but no samples".into()));
        }
        for (row, t) in rows.iter_mut().zip(common_scale(&readings).0) {
            row.time = t;
        }
        Ok(SampleSheet {
            name: name.into(),
            rows,
            has_replicates: replicate.is_some(),
        })
    }

    /// The row of a sample, by exact name, then ignoring case.
    pub fn row(&self, sample: &str) -> Option<&SampleRow> {
        self.rows.iter().find(|r| r.sample == sample).or_else(|| {
            self.rows
                .iter()
                .find(|r| r.sample.eq_ignore_ascii_case(sample))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_with_labels_replicates_and_conditions() {
        let text = "Sample\tTime\tReplicate\tCondition\nwt_a\t6h\t1\tWT\nwt_b\t1d\t2\tWT\n\"ko,a\"\t30min\t1\tKO\n";
        let s = SampleSheet::parse("sheet.tsv", text.as_bytes()).unwrap();
        assert!(s.has_replicates);
        let times: Vec<f64> = s.rows.iter().map(|r| r.time).collect();
        assert_eq!(times, vec![6.0, 24.0, 0.5]);
        assert_eq!(s.row("KO,A").unwrap().condition.as_deref(), Some("KO"));
    }

    #[test]
    fn bad_sheets_say_where() {
        let e = |t: &str| {
            SampleSheet::parse("s.csv", t.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(
            e("name,when\na,1\n").contains("no \"time\" column"),
            "{}",
            e("name,when\na,1\n")
        );
        assert!(e("sample,time\na,1\na,2\n").contains(
            "line 3, column 1 (\"sample\"): sample \"a\" is listed twice (first on line 2)"
        ));
        assert!(e("sample,time\na,soon\n").contains("line 2, column 2 (\"time\"): time \"soon\""));
        assert!(e("").contains("empty"));
    }
}
