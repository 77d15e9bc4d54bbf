//! `scimform schema`: print a JSON Schema on stdout.

use std::io::Write;

use super::args::{SchemaArgs, SchemaKind};
use super::report::{Failure, exit};
use crate::config;

pub fn run(args: &SchemaArgs) -> Result<u8, Failure> {
    let text = match args.kind {
        SchemaKind::Config => config::json_schema(),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    Ok(exit::OK)
}
