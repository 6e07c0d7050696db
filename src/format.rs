//! Human-readable text for the status line and the summary; plain functions so they are
//! tested natively.

/// `1:05 min`, `12 s`, `0.42 s`: a duration short enough for a status line, with two
/// significant digits below ten seconds (analysis phases often take a fraction of one).
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    if seconds < 9.95 {
        return if seconds < 1.0 {
            format!("{seconds:.2} s")
        } else {
            format!("{seconds:.1} s")
        };
    }
    let s = seconds.round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{}:{:02} min", s / 60, s % 60)
    } else {
        format!("{}:{:02} h", s / 3600, (s % 3600) / 60)
    }
}

/// Remaining time, from the mean time per epoch so far.
pub fn eta(epoch: usize, epochs: usize, elapsed: f64) -> f64 {
    if epoch == 0 {
        return f64::NAN;
    }
    elapsed / epoch as f64 * epochs.saturating_sub(epoch) as f64
}

/// `812 kB`, `178 MB`, `1.07 GB` (decimal units, as file browsers show sizes).
pub fn bytes(n: f64) -> String {
    if !n.is_finite() || n < 0.0 {
        return "?".into();
    }
    if n < 1e6 {
        format!("{:.0} kB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.0} MB", n / 1e6)
    } else {
        format!("{:.2} GB", n / 1e9)
    }
}

/// `950`, `12,345`: whole counts with thousands separators.
pub fn count(n: f64) -> String {
    if !n.is_finite() || n < 0.0 {
        return "?".into();
    }
    let digits = (n.round() as u64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A p or q value: `0.034`, `1.2e-5` (scientific below 0.001, where fixed digits say nothing).
pub fn p_value(p: f64) -> String {
    if !p.is_finite() || p < 0.0 {
        "?".into()
    } else if p == 0.0 || p >= 1e-3 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(5.4), "5.4 s");
        assert_eq!(duration(0.123), "0.12 s");
        assert_eq!(duration(12.4), "12 s");
        assert_eq!(duration(65.0), "1:05 min");
        assert_eq!(duration(f64::NAN), "?");
        assert_eq!(eta(1, 3, 2.0), 4.0);
        assert!(eta(0, 3, 0.0).is_nan());
        assert_eq!(bytes(812_345.0), "812 kB");
        assert_eq!(bytes(177_777_366.0), "178 MB");
        assert_eq!(bytes(1_070_000_000.0), "1.07 GB");
        assert_eq!(count(950.0), "950");
        assert_eq!(count(12_345.4), "12,345");
        assert_eq!(count(1_000_000.0), "1,000,000");
        assert_eq!(p_value(0.0342), "0.034");
        assert_eq!(p_value(1.234e-5), "1.2e-5");
        assert_eq!(p_value(f64::NAN), "?");
    }
}
