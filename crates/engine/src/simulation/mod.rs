//! Data with known answers: simulated time courses with planted response modules, and the
//! scoring of a clustering against them.

pub mod biology;
pub mod evaluate;
pub mod simulate;
