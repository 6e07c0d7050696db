//! A time column's values as numbers: numbers as they are, labels (`6h`, `D3`) through
//! [`crate::label`], and whatever the user typed in the `Time values` table over both. The
//! mapping of every label is kept so that the page and `inspect` can show it, and labels that
//! map to nothing are collected (not refused one by one) so that one message can ask for all.

use std::collections::{BTreeMap, HashMap};

use crate::label::{common_scale, parse_label, Reading, Unit};
use crate::value::{parse_number, text};
pub use vrnn_types::TimeValue;

/// How many labels that map to nothing are named in a message.
const MAX_UNMAPPED_SHOWN: usize = 20;

/// The time column's labels seen so far and their numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimeMap {
    overrides: HashMap<String, f64>,
    /// The unit every label's number is converted to; `None` keeps the numbers as written.
    base: Option<Unit>,
    /// Each distinct non-numeric field, with its time (or none).
    seen: HashMap<Vec<u8>, Option<f64>>,
    shown: BTreeMap<String, TimeValue>,
}

impl TimeMap {
    /// A map whose unit is decided by the labels of the look-ahead: their own unit when they
    /// agree, hours when they mix (`30min`, `6h`, `1d`).
    pub fn new(overrides: &[(String, f64)], lookahead: &[&[u8]]) -> Self {
        let mut distinct: Vec<&[u8]> = lookahead
            .iter()
            .copied()
            .filter(|v| parse_number(v).is_none())
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        let readings: Vec<Reading> = distinct
            .iter()
            .filter_map(|v| parse_label(&text(v)))
            .collect();
        TimeMap {
            overrides: overrides.iter().cloned().collect(),
            base: common_scale(&readings).1,
            ..TimeMap::default()
        }
    }

    /// The number of one field of the time column, or `None` when it maps to nothing.
    #[inline]
    pub fn time(&mut self, field: &[u8]) -> Option<f64> {
        if self.overrides.is_empty() {
            if let Some(t) = parse_number(field) {
                return t.is_finite().then_some(t);
            }
        }
        if let Some(&t) = self.seen.get(field) {
            return t;
        }
        self.first_sight(field)
    }

    fn first_sight(&mut self, field: &[u8]) -> Option<f64> {
        let label = text(field);
        let (time, unit, given) = if let Some(&t) = self.overrides.get(&label) {
            (Some(t), None, true)
        } else if let Some(t) = parse_number(field) {
            return t.is_finite().then_some(t);
        } else {
            match parse_label(&label) {
                Some(r) => {
                    let (v, u) = self.convert(r);
                    (Some(v), u, false)
                }
                None => (None, None, false),
            }
        };
        if self.shown.len() < 10_000 {
            self.shown.insert(
                label.clone(),
                TimeValue {
                    label,
                    time,
                    unit: unit.map(|u| u.name().to_string()),
                    given,
                },
            );
        }
        self.seen.insert(field.to_vec(), time);
        time
    }

    fn convert(&self, r: Reading) -> (f64, Option<Unit>) {
        match (r.unit, self.base) {
            (Some(u), Some(b)) if u != b => match (u.hours(), b.hours()) {
                (Some(a), Some(c)) => (r.value * a / c, Some(b)),
                _ => (r.value, Some(u)),
            },
            (u, _) => (r.value, u),
        }
    }

    /// Every label seen, in label order.
    pub fn values(&self) -> Vec<TimeValue> {
        self.shown.values().cloned().collect()
    }

    /// The labels that map to nothing, at most [`MAX_UNMAPPED_SHOWN`] of them.
    pub fn unmapped(&self) -> Vec<String> {
        self.shown
            .values()
            .filter(|v| v.time.is_none())
            .take(MAX_UNMAPPED_SHOWN)
            .map(|v| v.label.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_labels_and_overrides() {
        let look: [&[u8]; 3] = [b"30min", b"6h", b"1d"];
        let mut m = TimeMap::new(&[], &look);
        assert_eq!(m.time(b"6h"), Some(6.0));
        assert_eq!(m.time(b"30min"), Some(0.5));
        assert_eq!(m.time(b"1d"), Some(24.0));
        // A label first seen after the look-ahead is put on the same scale.
        assert_eq!(m.time(b"2d"), Some(48.0));
        assert_eq!(m.time(b"12"), Some(12.0));
        assert_eq!(m.time(b"late"), None);
        assert_eq!(m.unmapped(), vec!["late".to_string()]);
        let mut m = TimeMap::new(&[("late".into(), 72.0), ("6h".into(), 7.0)], &look);
        assert_eq!(m.time(b"late"), Some(72.0));
        assert_eq!(m.time(b"6h"), Some(7.0));
        assert!(m.values().iter().all(|v| v.given));
    }

    #[test]
    fn days_stay_days_when_every_label_is_in_days() {
        let look: [&[u8]; 2] = [b"D3", b"D14"];
        let mut m = TimeMap::new(&[], &look);
        assert_eq!(m.time(b"D3"), Some(3.0));
        assert_eq!(m.time(b"12h"), Some(0.5));
    }
}
