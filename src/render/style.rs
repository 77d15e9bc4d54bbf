//! Terminal styling: ANSI colour and bold when enabled, plain text otherwise.
//!
//! Colour only ever repeats what the text already says (`+`, `~`, `-`, words). Whether it
//! is enabled is decided once by the CLI (`--color`, `NO_COLOR`, whether stdout is a
//! terminal); this file never looks at the environment.

/// Whether to emit ANSI escapes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn create(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn update(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn destroy(self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}
