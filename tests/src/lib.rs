//! Integration tests live in `tests/`. The library holds the code generated from the corpus
//! documents ([`corpus`]), so that it is compiled with the workspace, and the API-shape tests
//! call it.

pub mod corpus;
