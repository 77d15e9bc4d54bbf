//! A record of every request a client sends — for the audit log of an apply: when, for
//! which planned change, which method and path, the status, which attempt, how long, and
//! how it ended. Never a header, a body or an attribute value (paths carry ids, and list
//! filters carry the names they look up).
//!
//! The client calls a [`RequestLog`] after every attempt; which change a request belongs
//! to is carried by the task that sends it ([`for_change`]), so the protocol layer never
//! needs to know about plans.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

tokio::task_local! {
    static CHANGE: Arc<str>;
}

/// Run `future` with its requests attributed to the change at `address`.
pub async fn for_change<F: Future>(address: Arc<str>, future: F) -> F::Output {
    CHANGE.scope(address, future).await
}

/// The change the current task's requests belong to, if any.
pub(crate) fn current_change() -> Option<Arc<str>> {
    CHANGE.try_with(Arc::clone).ok()
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A 2xx answer.
    Ok,
    /// An answer with another status.
    Status,
    /// No answer: the connection failed or was reset.
    Transport,
    /// No answer in time.
    Timeout,
    /// An answer that could not be used (too large, a redirect).
    Invalid,
}

impl RequestOutcome {
    pub fn word(self) -> &'static str {
        match self {
            RequestOutcome::Ok => "ok",
            RequestOutcome::Status => "error_status",
            RequestOutcome::Transport => "no_answer",
            RequestOutcome::Timeout => "timeout",
            RequestOutcome::Invalid => "invalid_answer",
        }
    }
}

/// One attempt of one request.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub time: SystemTime,
    /// The planned change it was sent for (its address), if any.
    pub change: Option<Arc<str>>,
    pub method: String,
    /// Path and query, relative to the base URL.
    pub path: String,
    pub status: Option<u16>,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub duration: Duration,
    pub outcome: RequestOutcome,
}

/// Receives a record of every attempt.
pub trait RequestLog: Send + Sync {
    fn record(&self, record: &RequestRecord);
}
