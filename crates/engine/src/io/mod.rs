//! What leaves the engine: the result files in the formats of interfaces.md, and the session
//! file that brings a run back.

pub mod export;
pub mod session;
