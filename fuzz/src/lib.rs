//! Helpers shared by the fuzz targets and the seed generator (`src/bin/seeds.rs`).

pub mod agent_model;
