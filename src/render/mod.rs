//! Rendering plans for people (and, in later formats, for machines).
//!
//! Renderers only read a `Plan` and write to an `io::Write`; they never compute a change
//! and never touch the network. Every renderer reads changes through one shared
//! `breakdown`, and every piece of text from a configuration or a server passes through
//! `text::safe` first.

pub mod breakdown;
mod human;
mod markdown;
mod review;
mod style;
pub mod text;

pub use human::{HumanOptions, render_plan, render_view};
pub use markdown::{MARKDOWN_CAP, markdown, render_markdown};
pub use review::{AccessReview, NestedChange, PersonAccess, render_review, review};
pub use style::Style;

#[cfg(test)]
mod tests;
