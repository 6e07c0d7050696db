//! Time labels as people write them (`6h`, `D3`, `day 3`, `t=12`, `E9.5`, `12 hpi`, `30min`)
//! and sample names that carry a time and a replicate (`0h_rep1`, `T6_A`, `d3.2`, `24h-3`,
//! `WT_6h_2`), mapped to numbers.
//!
//! Hand-written rather than a regex crate: the grammar is small, the reader is fuzzed, and the
//! wasm build stays smaller. Every mapping is shown to the user in the `Time values` table,
//! who can correct it, so the rules aim to be predictable rather than clever.

use serde::{Deserialize, Serialize};

/// The unit a label was written in, when it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    Minutes,
    Hours,
    Days,
    Weeks,
    /// Embryonic days (`E9.5`): kept apart from days, they count from conception.
    EmbryonicDays,
}

impl Unit {
    /// How many hours one of this unit is; `None` for embryonic days.
    pub(crate) fn hours(self) -> Option<f64> {
        match self {
            Unit::Minutes => Some(1.0 / 60.0),
            Unit::Hours => Some(1.0),
            Unit::Days => Some(24.0),
            Unit::Weeks => Some(168.0),
            Unit::EmbryonicDays => None,
        }
    }

    /// The unit's name for messages and the `Time values` table.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::EmbryonicDays => "embryonic days",
        }
    }
}

/// A label read as a number and the unit it named (none for a bare number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub unit: Option<Unit>,
}

fn unit_word(w: &str) -> Option<Unit> {
    Some(match w {
        "m" | "min" | "mins" | "minute" | "minutes" | "mpi" => Unit::Minutes,
        "h" | "hr" | "hrs" | "hour" | "hours" | "hpi" | "hpf" | "hps" | "hpt" | "hpa" => {
            Unit::Hours
        }
        "d" | "day" | "days" | "dpi" | "dpf" | "dps" | "dpt" | "dpa" => Unit::Days,
        "w" | "wk" | "wks" | "week" | "weeks" => Unit::Weeks,
        "e" => Unit::EmbryonicDays,
        _ => return None,
    })
}

/// Words that may stand before the number and name no unit.
fn neutral_prefix(w: &str) -> bool {
    matches!(w, "" | "t" | "tp" | "time" | "timepoint" | "tpt")
}

/// `6h`, `D3`, `day 3`, `t=12`, `E9.5`, `12 hpi`, `-1h`, `0.5`: a number with at most a unit
/// word before or after it (not both), ignoring case, spaces, `=`, `_` and `-` between them.
pub fn parse_label(label: &str) -> Option<Reading> {
    let s = label.trim().to_ascii_lowercase();
    if s.is_empty() {
        return None;
    }
    // Where the number is: the first digit, with a sign or a leading point just before it.
    let first_digit = s.find(|c: char| c.is_ascii_digit())?;
    let mut start = first_digit;
    let bytes = s.as_bytes();
    if start > 0 && bytes[start - 1] == b'.' {
        start -= 1;
    }
    let negative = start > 0 && bytes[start - 1] == b'-' && {
        // `t-1` and `-1h` are negative; `day-3` is day 3 with a separator.
        let before = s[..start - 1].trim_end_matches([' ', '=', '_']);
        before.is_empty() || neutral_prefix(before)
    };
    let mut end = first_digit;
    let mut seen_point = start < first_digit;
    while end < bytes.len() {
        match bytes[end] {
            b'0'..=b'9' => end += 1,
            b'.' if !seen_point && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) => {
                seen_point = true;
                end += 1;
            }
            _ => break,
        }
    }
    let number: f64 = s[start..end].parse().ok()?;
    let prefix_end = if negative { start - 1 } else { start };
    let prefix = s[..prefix_end].trim_end_matches([' ', '=', '_', '-', ':']);
    let prefix = prefix.trim_start();
    let suffix = s[end..].trim_start_matches([' ', '_', '-']).trim_end();
    let unit = match (prefix, suffix) {
        (p, "") if neutral_prefix(p) => None,
        (p, "") => Some(unit_word(p)?),
        (p, u) if neutral_prefix(p) => Some(unit_word(u)?),
        _ => return None,
    };
    let value = if negative { -number } else { number };
    value.is_finite().then_some(Reading { value, unit })
}

/// The numbers of a set of readings in one unit: the labels' own numbers when they agree on
/// a unit (or name none), otherwise hours (`30min`, `6h`, `1d` → 0.5, 6, 24). Embryonic days
/// mixed with other units cannot be put on one scale and are kept as written.
pub fn common_scale(readings: &[Reading]) -> (Vec<f64>, Option<Unit>) {
    let mut units = readings.iter().filter_map(|r| r.unit);
    let first = units.next();
    let mixed = units.any(|u| Some(u) != first);
    let convertible = readings
        .iter()
        .all(|r| r.unit.is_none_or(|u| u.hours().is_some()));
    if mixed && convertible {
        let values = readings
            .iter()
            .map(|r| r.value * r.unit.and_then(Unit::hours).unwrap_or(1.0))
            .collect();
        (values, Some(Unit::Hours))
    } else {
        (readings.iter().map(|r| r.value).collect(), first)
    }
}

/// A sample's time, and the rest of its name split into a condition (what came before the
/// time) and a replicate (what came after).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleName {
    pub time: Reading,
    pub condition: Option<String>,
    pub replicate: Option<String>,
}

fn tokens(name: &str) -> Vec<&str> {
    name.split(['_', '-', ' ', '|', '/'])
        .filter(|t| !t.is_empty())
        .collect()
}

/// A token that is a time on its own: it has a unit or a time prefix, or it is the only number.
fn timed(token: &str) -> Option<Reading> {
    let r = parse_label(token)?;
    let bare = token
        .trim()
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    (!bare || r.unit.is_some()).then_some(r)
}

/// Reads one sample name: `0h_rep1`, `T6_A`, `24h-3`, `WT_6h_2`, `day3`, `12`.
/// `d3.2` is day 3.2 here; [`parse_sample_names`] decides between 3.2 and day 3, replicate 2,
/// from the whole set of names.
pub fn parse_sample_name(name: &str) -> Option<SampleName> {
    sample_name(name).map(|(s, _)| s)
}

/// The sample's reading, and whether its time was marked as one (a unit or a time prefix)
/// rather than taken from a lone number.
fn sample_name(name: &str) -> Option<(SampleName, bool)> {
    let toks = tokens(name);
    // A time written across two tokens (`day 3`, `12 hpi`) counts as one.
    let pair = |i: usize| -> Option<Reading> {
        let (a, b) = (toks.get(i)?, toks.get(i + 1)?);
        let number = |t: &str| t.bytes().all(|c| c.is_ascii_digit() || c == b'.');
        let word = |t: &str| unit_word(&t.to_ascii_lowercase()).is_some();
        ((number(a) && word(b)) || (word(a) && number(b)))
            .then(|| parse_label(&format!("{a}{b}")))
            .flatten()
    };
    let found = (0..toks.len())
        .find_map(|i| {
            pair(i)
                .map(|r| (i, 2, r, true))
                .or_else(|| timed(toks[i]).map(|r| (i, 1, r, true)))
        })
        .or_else(|| {
            // No token names a unit: a lone number (`12`, `3_b`) is the time.
            toks.iter()
                .enumerate()
                .find_map(|(i, t)| parse_label(t).map(|r| (i, 1, r, false)))
        });
    let (i, width, time, marked) = found?;
    let join = |ts: &[&str]| (!ts.is_empty()).then(|| ts.join("_"));
    let sample = SampleName {
        time,
        condition: join(&toks[..i]),
        replicate: join(&toks[i + width..]),
    };
    Some((sample, marked))
}

/// Reads a set of sample names. When every name ends in `<time>.<integer>` and reading the
/// point as a separator turns distinct times into a few times with several replicates each
/// (`d3.1`, `d3.2`, `d6.1`, `d6.2`), that reading wins; a set like `E9.5`, `E10.5` keeps its
/// decimals. When some names mark their time (`0h_a`), a lone number in another (`ctrl_1`) is
/// not taken for one. `None` for a name without a time.
pub fn parse_sample_names(names: &[String]) -> Vec<Option<SampleName>> {
    let read: Vec<Option<(SampleName, bool)>> = names.iter().map(|n| sample_name(n)).collect();
    let any_marked = read.iter().flatten().any(|(_, marked)| *marked);
    let plain: Vec<Option<SampleName>> = read
        .into_iter()
        .map(|r| {
            r.filter(|(_, marked)| *marked || !any_marked)
                .map(|(s, _)| s)
        })
        .collect();
    let split: Option<Vec<SampleName>> = names
        .iter()
        .map(|n| {
            let (head, rep) = n.trim().rsplit_once('.')?;
            if rep.is_empty() || !rep.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let mut s = parse_sample_name(head)?;
            if s.replicate.is_some() || s.time.value.fract() != 0.0 {
                return None;
            }
            s.replicate = Some(rep.to_string());
            Some(s)
        })
        .collect();
    if let Some(split) = split {
        let distinct = |xs: &mut Vec<u64>| {
            xs.sort_unstable();
            xs.dedup();
            xs.len()
        };
        let mut as_split: Vec<u64> = split.iter().map(|s| s.time.value.to_bits()).collect();
        let mut as_plain: Vec<u64> = plain
            .iter()
            .flatten()
            .map(|s| s.time.value.to_bits())
            .collect();
        let n_split = distinct(&mut as_split);
        if n_split * 2 <= names.len() && n_split < distinct(&mut as_plain) {
            return split.into_iter().map(Some).collect();
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> Option<(f64, Option<Unit>)> {
        parse_label(s).map(|r| (r.value, r.unit))
    }

    #[test]
    fn labels_people_write() {
        use Unit::*;
        let cases: [(&str, f64, Option<Unit>); 20] = [
            ("6h", 6.0, Some(Hours)),
            ("6 h", 6.0, Some(Hours)),
            ("D3", 3.0, Some(Days)),
            ("day 3", 3.0, Some(Days)),
            ("Day_14", 14.0, Some(Days)),
            ("day-3", 3.0, Some(Days)),
            ("t=12", 12.0, None),
            ("T6", 6.0, None),
            ("E9.5", 9.5, Some(EmbryonicDays)),
            ("12 hpi", 12.0, Some(Hours)),
            ("30min", 30.0, Some(Minutes)),
            ("2wk", 2.0, Some(Weeks)),
            ("0", 0.0, None),
            ("0.5", 0.5, None),
            ("-1h", -1.0, Some(Hours)),
            ("t-1", -1.0, None),
            ("timepoint 4", 4.0, None),
            ("48hrs", 48.0, Some(Hours)),
            ("3 dpi", 3.0, Some(Days)),
            (".5h", 0.5, Some(Hours)),
        ];
        for (s, v, u) in cases {
            assert_eq!(value(s), Some((v, u)), "{s}");
        }
        for s in [
            "", "control", "IRF1", "h", "6x", "GENE0001", "day3h", "1.2.3h", "rep1",
        ] {
            assert_eq!(value(s), None, "{s}");
        }
    }

    #[test]
    fn mixed_units_go_to_hours() {
        let r = |s: &str| parse_label(s).unwrap();
        let (v, u) = common_scale(&[r("30min"), r("6h"), r("1d")]);
        assert_eq!((v, u), (vec![0.5, 6.0, 24.0], Some(Unit::Hours)));
        let (v, u) = common_scale(&[r("D3"), r("D14")]);
        assert_eq!((v, u), (vec![3.0, 14.0], Some(Unit::Days)));
        let (v, u) = common_scale(&[r("E9.5"), r("6h")]);
        assert_eq!(v, vec![9.5, 6.0]);
        assert_eq!(u, Some(Unit::EmbryonicDays));
    }

    #[test]
    fn sample_names() {
        let s = |n: &str| {
            let p = parse_sample_name(n).unwrap();
            (p.time.value, p.condition, p.replicate)
        };
        let some = |x: &str| Some(x.to_string());
        assert_eq!(s("0h_rep1"), (0.0, None, some("rep1")));
        assert_eq!(s("T6_A"), (6.0, None, some("A")));
        assert_eq!(s("24h-3"), (24.0, None, some("3")));
        assert_eq!(s("WT_6h_2"), (6.0, some("WT"), some("2")));
        assert_eq!(s("KO 12 hpi r2"), (12.0, some("KO"), some("r2")));
        assert_eq!(s("day_3_B"), (3.0, None, some("B")));
        assert_eq!(s("day3"), (3.0, None, None));
        assert_eq!(s("12"), (12.0, None, None));
        assert!(parse_sample_name("control").is_none());
    }

    #[test]
    fn a_point_is_a_replicate_separator_only_when_the_set_says_so() {
        let names = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let reps = parse_sample_names(&names(&["d3.1", "d3.2", "d6.1", "d6.2"]));
        let got: Vec<(f64, Option<String>)> = reps
            .into_iter()
            .map(|s| {
                let s = s.unwrap();
                (s.time.value, s.replicate)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (3.0, Some("1".into())),
                (3.0, Some("2".into())),
                (6.0, Some("1".into())),
                (6.0, Some("2".into()))
            ]
        );
        let embryo = parse_sample_names(&names(&["E9.5", "E10.5", "E11.5"]));
        let v: Vec<f64> = embryo.into_iter().map(|s| s.unwrap().time.value).collect();
        assert_eq!(v, vec![9.5, 10.5, 11.5]);
    }
}
