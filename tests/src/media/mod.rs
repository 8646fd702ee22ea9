//! Code generated from the documents of `tests/workflows/media/` (snapshots kept up to date by
//! `tests/media.rs`, which also runs them over loopback).
#![deny(warnings)]

#[rustfmt::skip]
pub mod batch_binary;
#[rustfmt::skip]
pub mod batch_jsonlines;
#[rustfmt::skip]
pub mod files;
