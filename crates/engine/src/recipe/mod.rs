//! What a run trains on: the presets' inputs, prepared from a data set's per-time means.

pub mod composition;
pub mod noise;
pub mod preset;
