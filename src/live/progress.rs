//! Progress of a read, reported to whoever wants it (the CLI draws a line on a terminal).
//! The reader only calls the observer; it never writes output itself.

use std::sync::Arc;

use crate::scim::ResourceKind;

/// How far a list read has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadProgress {
    pub kind: ResourceKind,
    pub read: u64,
    pub total: Option<u64>,
}

/// An optional observer of read progress; cheap to clone.
#[derive(Clone, Default)]
pub struct Progress {
    observer: Option<Arc<dyn Fn(ReadProgress) + Send + Sync>>,
}

impl Progress {
    pub const fn none() -> Progress {
        Progress { observer: None }
    }

    pub fn new(observer: impl Fn(ReadProgress) + Send + Sync + 'static) -> Progress {
        Progress {
            observer: Some(Arc::new(observer)),
        }
    }

    pub fn report(&self, event: ReadProgress) {
        if let Some(observer) = &self.observer {
            observer(event);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.observer.is_some() {
            "Progress(observed)"
        } else {
            "Progress(none)"
        })
    }
}
