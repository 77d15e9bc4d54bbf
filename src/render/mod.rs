//! Rendering plans for people (and, in later formats, for machines).
//!
//! Renderers only read a `Plan` and write to an `io::Write`; they never compute a change
//! and never touch the network.

mod human;
mod style;

pub use human::{render_change, render_plan};
pub use style::Style;

#[cfg(test)]
mod tests;
