//! Code generated from the corpus documents that `check` accepts (snapshots kept up to date by
//! `tests/corpus_generated.rs`). Compiling them here is the test that generated code compiles
//! warning-free for documents written by others.
#![deny(warnings)]

#[rustfmt::skip]
pub mod buy_pet;
#[rustfmt::skip]
pub mod cafe_menu;
#[rustfmt::skip]
pub mod max_steps;
#[rustfmt::skip]
pub mod museum_api;
#[rustfmt::skip]
pub mod museum_tickets;
#[rustfmt::skip]
pub mod oauth;
#[rustfmt::skip]
pub mod step_on_failure_type_end_action;
#[rustfmt::skip]
pub mod workflow_failure_actions;
