//! Where an export's text goes: into memory (for [`export`](super::export), which builds
//! files without touching the disk) or into a directory being staged (`write`'s
//! [`Staged`]). Either way entries are first *spooled* — appended, as they are written,
//! to a scratch buffer or file — and files are then assembled from text and ranges of
//! spools, so that the layout can be chosen from the entries' sizes without holding the
//! entries twice.

use std::convert::Infallible;
use std::ops::Range;
use std::sync::Mutex;

use super::ExportedFile;
use super::write::{Spool, SpoolWriter, Staged, WriteError};

/// A piece of a file.
pub(super) enum Part<'a, S> {
    Text(&'a str),
    /// Bytes of a spool.
    Spooled(&'a S, Range<u64>),
}

/// Where files go. Shared by the threads that write them.
pub(super) trait Sink: Sync {
    type Error: Send;
    type Spool: Send + Sync;
    type SpoolWriter: SpoolWrite<Spool = Self::Spool, Error = Self::Error> + Send;

    /// A new, empty spool.
    fn spool(&self) -> Result<Self::SpoolWriter, Self::Error>;

    /// The file `rel` (relative to the output directory), made of `parts`.
    fn file(&self, rel: &str, parts: &[Part<'_, Self::Spool>]) -> Result<(), Self::Error>;
}

/// A spool being written.
pub(super) trait SpoolWrite {
    type Spool;
    type Error;

    /// Append `text` (whole lines); the spool's length.
    fn push(&mut self, text: &str) -> Result<u64, Self::Error>;

    /// The spool, done.
    fn finish(self) -> Result<Self::Spool, Self::Error>;
}

/// Files in memory.
#[derive(Default)]
pub(super) struct Memory {
    files: Mutex<Vec<ExportedFile>>,
}

impl Memory {
    /// The files, in the order of `paths`.
    pub(super) fn into_files(self, paths: &[String]) -> Vec<ExportedFile> {
        let mut files = self
            .files
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        files.sort_by_key(|f| paths.iter().position(|p| *p == f.path));
        files
    }
}

impl Sink for Memory {
    type Error = Infallible;
    type Spool = String;
    type SpoolWriter = String;

    fn spool(&self) -> Result<String, Infallible> {
        Ok(String::new())
    }

    fn file(&self, rel: &str, parts: &[Part<'_, String>]) -> Result<(), Infallible> {
        let mut text = String::new();
        for part in parts {
            match part {
                Part::Text(piece) => text.push_str(piece),
                Part::Spooled(spool, range) => {
                    // Ranges are whole entries, so on character boundaries.
                    let (start, end) = (offset(range.start), offset(range.end));
                    text.push_str(spool.get(start..end).unwrap_or_default());
                }
            }
        }
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(ExportedFile {
                path: rel.to_string(),
                text,
            });
        Ok(())
    }
}

fn offset(at: u64) -> usize {
    usize::try_from(at).unwrap_or(usize::MAX)
}

impl SpoolWrite for String {
    type Spool = String;
    type Error = Infallible;

    fn push(&mut self, text: &str) -> Result<u64, Infallible> {
        self.push_str(text);
        Ok(self.len() as u64)
    }

    fn finish(self) -> Result<String, Infallible> {
        Ok(self)
    }
}

/// Files staged in an output directory.
pub(super) struct Disk<'s>(pub(super) &'s Staged);

impl Sink for Disk<'_> {
    type Error = WriteError;
    type Spool = Spool;
    type SpoolWriter = SpoolWriter;

    fn spool(&self) -> Result<SpoolWriter, WriteError> {
        self.0.spool()
    }

    fn file(&self, rel: &str, parts: &[Part<'_, Spool>]) -> Result<(), WriteError> {
        let mut file = self.0.file(rel)?;
        for part in parts {
            match part {
                Part::Text(piece) => file.write_text(piece)?,
                Part::Spooled(spool, range) => file.copy(spool, range.clone())?,
            }
        }
        file.finish()
    }
}

impl SpoolWrite for SpoolWriter {
    type Spool = Spool;
    type Error = WriteError;

    fn push(&mut self, text: &str) -> Result<u64, WriteError> {
        SpoolWriter::push(self, text)
    }

    fn finish(self) -> Result<Spool, WriteError> {
        SpoolWriter::finish(self)
    }
}
