//! Terminal styling: colour and bold (from `anstyle`, the styling clap uses) when enabled,
//! plain text otherwise.
//!
//! Colour only ever repeats what the text already says (`+`, `~`, `-`, words). Whether it
//! is enabled is decided once by the CLI (`--color`, `NO_COLOR`, whether the stream is a
//! terminal, through `anstream`); this file never looks at the environment.

use anstyle::{AnsiColor, Effects};

/// Whether to emit ANSI escapes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    pub fn create(self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }

    pub fn update(self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }

    pub fn destroy(self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::BOLD), text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::DIMMED), text)
    }
}
