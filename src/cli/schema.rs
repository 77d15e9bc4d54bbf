//! `scimform schema`: print a JSON Schema on stdout.

use std::io::Write;

use super::args::{SchemaArgs, SchemaKind};
use super::report::exit;
use crate::config;

pub(super) fn run(args: &SchemaArgs) -> u8 {
    let text = match args.kind {
        SchemaKind::Config => config::json_schema(),
        SchemaKind::Plan => crate::plan::json_schema(),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    exit::OK
}
