//! scimform keeps a SCIM 2.0 directory in the state that YAML files declare.
//!
//! The data flow is `config` (load + validate) and `live` (read the directory) into
//! `plan::diff` (pure), rendered by `render`, carried out by `apply`. `devserver` is a
//! local SCIM service provider for demos and tests; `export` writes a live directory as
//! configuration files; `cli` wires the commands together.
//! This crate root only declares modules; it holds no logic.

pub mod apply;
pub mod cli;
pub mod config;
pub mod devserver;
pub mod export;
pub mod live;
pub mod plan;
pub mod render;
pub mod scim;
