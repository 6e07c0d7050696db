//! `Auto`'s measurement: how fast this machine trains a run on the CPU (with its training
//! helpers) and on WebGPU, from a few warm training steps of each. The browser's worker keeps
//! it per machine, so `Auto` times once and then chooses at once; the line that names the
//! compute in use shows both numbers, so a user can see why.

use serde::{Deserialize, Serialize};

use crate::Backend;

/// Seconds per epoch on each path, as timed on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredSpeeds {
    /// The CPU path as the page names it ("CPU, 4 workers").
    pub cpu: String,
    pub cpu_s: f64,
    /// The WebGPU adapter as the browser describes it.
    pub adapter: String,
    pub webgpu_s: f64,
    /// When it was timed (an ISO date, `2026-12-02`).
    pub date: String,
}

impl MeasuredSpeeds {
    /// The faster path; the CPU on a tie (it needs no GPU memory and no shader compilation).
    pub fn faster(&self) -> Backend {
        if self.webgpu_s < self.cpu_s {
            Backend::WebGpu
        } else {
            Backend::Cpu
        }
    }

    /// Why `Auto` chose [`Self::faster`]: both times, the chosen path first, and whether they
    /// were timed just now or remembered from an earlier run.
    pub fn reason(&self, remembered: bool) -> String {
        let cpu = format!("{}: {} s/epoch", self.cpu, seconds(self.cpu_s));
        let gpu = format!("WebGPU: {} s/epoch", seconds(self.webgpu_s));
        let (first, second) = match self.faster() {
            Backend::Cpu => (cpu, gpu),
            Backend::WebGpu => (gpu, cpu),
        };
        let when = if remembered {
            format!("timed on this machine on {}", self.date)
        } else {
            "timed on this machine just now".into()
        };
        format!("Auto: {first}; {second}, {when}")
    }
}

/// Seconds with three significant digits at most: 0.0512, 0.21, 3.4, 120.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() || s <= 0.0 {
        return format!("{s}");
    }
    let digits = (2 - s.log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{s:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speeds(cpu_s: f64, webgpu_s: f64) -> MeasuredSpeeds {
        MeasuredSpeeds {
            cpu: "CPU, 4 workers".into(),
            cpu_s,
            adapter: "nvidia ampere".into(),
            webgpu_s,
            date: "2026-12-02".into(),
        }
    }

    #[test]
    fn the_faster_path_is_chosen_and_named_first() {
        let slow_gpu = speeds(0.05, 0.21);
        assert_eq!(slow_gpu.faster(), Backend::Cpu);
        assert_eq!(
            slow_gpu.reason(false),
            "Auto: CPU, 4 workers: 0.05 s/epoch; WebGPU: 0.21 s/epoch, timed on this machine just now"
        );
        let fast_gpu = speeds(0.3, 0.0123);
        assert_eq!(fast_gpu.faster(), Backend::WebGpu);
        assert_eq!(
            fast_gpu.reason(true),
            "Auto: WebGPU: 0.0123 s/epoch; CPU, 4 workers: 0.3 s/epoch, timed on this machine on 2026-12-02"
        );
        assert_eq!(speeds(0.1, 0.1).faster(), Backend::Cpu, "a tie");
    }

    #[test]
    fn seconds_keep_three_significant_digits() {
        assert_eq!(seconds(0.051234), "0.0512");
        assert_eq!(seconds(3.456), "3.46");
        assert_eq!(seconds(123.4), "123");
        assert_eq!(seconds(0.5), "0.5");
        assert_eq!(seconds(12.0), "12");
    }

    #[test]
    fn kept_as_json() {
        let s = speeds(0.05, 0.21);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<MeasuredSpeeds>(&json).unwrap(), s);
    }
}
