//! Code generated from the corpus documents that `check` accepts (snapshots kept up to date by
//! `tests/corpus_generated.rs`). Compiling them here is the test that generated code compiles
//! warning-free for documents written by others.
#![deny(warnings)]

pub mod buy_pet;
pub mod cafe_menu;
pub mod max_steps;
pub mod museum_api;
pub mod museum_tickets;
pub mod oauth;
pub mod step_on_failure_type_end_action;
pub mod workflow_failure_actions;
