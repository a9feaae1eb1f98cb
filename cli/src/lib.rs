//! The library half of the `gradcap` command line: the reference backend of `gradcap serve`, so
//! that the fuzz target and the load test can drive the same router the server runs.
#![warn(missing_docs)]

pub mod backend;
