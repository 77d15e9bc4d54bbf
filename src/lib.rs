//! scimform keeps a SCIM 2.0 directory in the state that YAML files declare.
//!
//! The data flow is `config` (load + validate) and `live` (read the directory) into
//! `plan::diff` (pure), rendered by `render`, carried out by `apply`; `export` writes a
//! live directory as configuration files; `cli` wires the commands together. The local
//! SCIM server for demos and tests is the workspace crate `scimform-devserver`, which
//! depends on nothing here.
//! This crate root only declares modules; it holds no logic.

pub mod apply;
pub mod atlassian;
pub mod cli;
pub mod config;
pub mod export;
pub(crate) mod key_table;
pub mod live;
pub mod plan;
pub mod render;
pub mod scim;
pub mod secret;
