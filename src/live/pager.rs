//! Paging through a list endpoint, completely or not at all.
//!
//! Index paging reads the first page, then fetches the remaining pages concurrently (as
//! many at once as the client's concurrency, shared with the other lists of the read by
//! `Turns`), each at the start index the first page's length implies; every page must
//! report the same `totalResults` and be exactly as long as its position requires.
//! Cursor paging follows `nextCursor` one page at a time; a cursor list may come without
//! `totalResults`, and then nothing can tell a list that ends early from a complete one
//! (the read says so in [`Listing::counted`], and the live reader looks up every member
//! id such a list may have missed). Either way an id seen twice, a missing id, a total
//! that does not add up, a list longer than [`MAX_LIST_RESOURCES`] or (index paging) in
//! more than [`MAX_LIST_PAGES`] pages is an error.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::error::LiveReadError;
use super::id_hash::{IdHashSet, id_hash_set};
use super::progress::{Progress, ReadProgress};
use super::snapshot::{LiveGroup, LiveUser};
use super::turns::Turns;
use crate::scim::{
    ListPage, Paging, ResourceKind, ResourceReader, ScimClient, ScimError, ScimId, string_attribute,
};

/// The longest list read: a server announcing more (or paging past it) is refused
/// rather than followed until memory runs out.
pub(crate) const MAX_LIST_RESOURCES: u64 = 10_000_000;

/// The most pages an index-paged list is read in (each is a task waiting for its turn,
/// spawned up front): a million users in pages of 5 would fit.
pub(crate) const MAX_LIST_PAGES: u64 = 200_000;

/// A whole list, as read.
#[derive(Debug)]
pub(crate) struct Listing<T> {
    pub(crate) items: Vec<T>,
    /// Whether the list was checked against a `totalResults` (always with index paging;
    /// with cursor paging only when the server gave one).
    pub(crate) counted: bool,
}

/// What a page reader makes of a resource, as far as the pager needs to know it.
pub trait Listed {
    /// The resource's id, if it has one.
    fn listed_id(&self) -> Option<ScimId>;
}

impl Listed for Value {
    fn listed_id(&self) -> Option<ScimId> {
        string_attribute(self, "id").map(ScimId::new)
    }
}

impl Listed for LiveUser {
    fn listed_id(&self) -> Option<ScimId> {
        Some(self.id.clone())
    }
}

impl Listed for LiveGroup {
    fn listed_id(&self) -> Option<ScimId> {
        Some(self.id.clone())
    }
}

/// One list to read: from where, which kind, and whom to tell as it goes.
#[derive(Debug, Clone, Copy)]
pub struct ListRead<'a> {
    pub client: &'a ScimClient,
    pub kind: ResourceKind,
    /// Added to each request's query (already encoded, e.g. `excludedAttributes=members`).
    pub extra: &'a str,
    pub progress: &'a Progress,
}

impl<'a> ListRead<'a> {
    /// A list of `kind` with no extra query, nobody told of its progress.
    pub fn new(client: &'a ScimClient, kind: ResourceKind, extra: &'a str) -> ListRead<'a> {
        static NONE: Progress = Progress::none();
        ListRead {
            client,
            kind,
            extra,
            progress: &NONE,
        }
    }
}

/// Every resource of the list, each read by `reader`, or an error: never a partial list.
pub async fn read_all<R>(list: ListRead<'_>, reader: R) -> Result<Vec<R::Item>, LiveReadError>
where
    R: ResourceReader + Clone + Send + Sync + 'static,
    R::Item: Listed + Send + 'static,
{
    let turns = Turns::new(list.client.profile().concurrency as usize);
    Ok(read_all_sharing(list, reader, &turns).await?.items)
}

/// [`read_all`], its pages requested when `turns` says, so that lists read at the same
/// time share the client's requests in proportion to their pages.
pub(crate) async fn read_all_sharing<R>(
    list: ListRead<'_>,
    reader: R,
    turns: &Arc<Turns>,
) -> Result<Listing<R::Item>, LiveReadError>
where
    R: ResourceReader + Clone + Send + Sync + 'static,
    R::Item: Listed + Send + 'static,
{
    match list.client.profile().paging {
        Paging::Index => Ok(Listing {
            items: read_indexed(list, reader, turns).await?,
            counted: true,
        }),
        Paging::Cursor => read_cursor(list, reader).await,
    }
}

/// Resources gathered so far, with the checks every page passes.
struct Collector<T> {
    kind: ResourceKind,
    seen: IdHashSet<ScimId>,
    items: Vec<T>,
}

impl<T: Listed> Collector<T> {
    fn new(kind: ResourceKind) -> Collector<T> {
        Collector::with_capacity(kind, 0)
    }

    /// Room for `expected` resources (as the server announced them, so bounded: a wrong
    /// total must not allocate gigabytes).
    fn with_capacity(kind: ResourceKind, expected: u64) -> Collector<T> {
        let room = usize::try_from(expected.min(1 << 20)).unwrap_or(0);
        Collector {
            kind,
            seen: id_hash_set(room),
            items: Vec::with_capacity(room),
        }
    }

    fn inconsistent(&self, reason: String) -> LiveReadError {
        LiveReadError::Inconsistent {
            kind: self.kind,
            reason,
        }
    }

    fn push(&mut self, resources: Vec<T>) -> Result<(), LiveReadError> {
        if (self.items.len() + resources.len()) as u64 > MAX_LIST_RESOURCES {
            return Err(too_long(self.kind));
        }
        self.items.reserve(resources.len());
        for resource in resources {
            let Some(id) = resource.listed_id() else {
                return Err(self.inconsistent(format!("a {} has no id", self.kind.noun())));
            };
            if !self.seen.insert(id.clone()) {
                return Err(self.inconsistent(format!(
                    "{} {id} appeared twice (the list shifted while it was read)",
                    self.kind.noun()
                )));
            }
            self.items.push(resource);
        }
        Ok(())
    }
}

fn too_long(kind: ResourceKind) -> LiveReadError {
    LiveReadError::Inconsistent {
        kind,
        reason: format!(
            "the list is longer than {MAX_LIST_RESOURCES} {}s, more than scimform reads",
            kind.noun()
        ),
    }
}

fn total_of<T>(page: &ListPage<T>, kind: ResourceKind, start: u64) -> Result<u64, LiveReadError> {
    let total = page
        .total_results
        .ok_or_else(|| LiveReadError::Inconsistent {
            kind,
            reason: format!("the page at startIndex {start} has no totalResults"),
        })?;
    // A total is a promise of pages to fetch; one beyond any directory is not followed.
    if total > MAX_LIST_RESOURCES {
        return Err(too_long(kind));
    }
    Ok(total)
}

async fn read_indexed<R>(
    ListRead {
        client,
        kind,
        extra,
        progress,
    }: ListRead<'_>,
    reader: R,
    turns: &Arc<Turns>,
) -> Result<Vec<R::Item>, LiveReadError>
where
    R: ResourceReader + Clone + Send + Sync + 'static,
    R::Item: Listed + Send + 'static,
{
    let size = u64::from(client.profile().max_page_size);
    let first = client.list_page_with(kind, 1, size, extra, &reader).await?;
    let total = total_of(&first, kind, 1)?;
    let mut collector = Collector::with_capacity(kind, total);
    let step = first.resources.len() as u64;
    if step == 0 {
        if total > 0 {
            return Err(collector.inconsistent(format!(
                "the first page was empty, but totalResults is {total}"
            )));
        }
        return Ok(Vec::new());
    }
    collector.push(first.resources)?;
    let mut read = step;
    progress.report(ReadProgress {
        kind,
        read,
        total: Some(total),
    });
    if step >= total {
        return finish(collector, total);
    }

    // The remaining pages, each sent when `turns` gives this list a turn, which it holds
    // until the body is in (not while it is parsed).
    let remaining = (total - step).div_ceil(step);
    if remaining >= MAX_LIST_PAGES {
        return Err(collector.inconsistent(format!(
            "the first page had {} and totalResults is {total}: more than {MAX_LIST_PAGES} pages of that size are not read (the server's paging is broken, or its page size far too small)",
            kind.counted(step)
        )));
    }
    let mut pages = JoinSet::new();
    let share = turns.list(remaining);
    let mut start = 1 + step;
    while start <= total {
        let client = client.clone();
        let extra = extra.to_string();
        let reader = reader.clone();
        let turns = Arc::clone(turns);
        pages.spawn(async move {
            let turn = turns.take(share).await;
            let body = client.list_page_body(kind, start, size, &extra).await;
            drop(turn);
            (
                start,
                body.and_then(|body| client.parse_list(&body, &reader)),
            )
        });
        start += step;
    }
    let mut by_start: BTreeMap<u64, Vec<R::Item>> = BTreeMap::new();
    while let Some(joined) = pages.join_next().await {
        let (start, page) = joined
            .map_err(|e| collector.inconsistent(format!("a page read was interrupted: {e}")))?;
        let page: ListPage<R::Item> = page.map_err(|e: ScimError| LiveReadError::Request(e))?;
        let page_total = total_of(&page, kind, start)?;
        if page_total != total {
            pages.abort_all();
            return Err(collector.inconsistent(format!(
                "totalResults changed from {total} to {page_total} between pages"
            )));
        }
        let expected = step.min(total - (start - 1));
        if page.resources.len() as u64 != expected {
            pages.abort_all();
            return Err(collector.inconsistent(format!(
                "the page at startIndex {start} had {} where {expected} {} expected",
                kind.counted(page.resources.len() as u64),
                if expected == 1 { "was" } else { "were" }
            )));
        }
        read += page.resources.len() as u64;
        progress.report(ReadProgress {
            kind,
            read,
            total: Some(total),
        });
        by_start.insert(start, page.resources);
    }
    for (_, resources) in by_start {
        collector.push(resources)?;
    }
    finish(collector, total)
}

async fn read_cursor<R>(
    ListRead {
        client,
        kind,
        extra,
        progress,
    }: ListRead<'_>,
    reader: R,
) -> Result<Listing<R::Item>, LiveReadError>
where
    R: ResourceReader + Sync,
    R::Item: Listed,
{
    let size = u64::from(client.profile().max_page_size);
    let mut collector = Collector::new(kind);
    let mut cursor: Option<String> = None;
    let mut total: Option<u64> = None;
    let mut seen_cursors = HashSet::new();
    loop {
        let page = client
            .list_cursor_page_with(kind, cursor.as_deref(), size, extra, &reader)
            .await?;
        if let Some(page_total) = page.total_results {
            match total {
                Some(t) if t != page_total => {
                    return Err(collector.inconsistent(format!(
                        "totalResults changed from {t} to {page_total} between pages"
                    )));
                }
                _ => total = Some(page_total),
            }
        }
        let empty = page.resources.is_empty();
        collector.push(page.resources)?;
        if let Some(total) = total
            && collector.items.len() as u64 > total
        {
            return Err(collector.inconsistent(format!(
                "read more than the {} that totalResults announced",
                kind.counted(total)
            )));
        }
        progress.report(ReadProgress {
            kind,
            read: collector.items.len() as u64,
            total,
        });
        match page.next_cursor {
            None => break,
            Some(_) if empty => {
                return Err(
                    collector.inconsistent("an empty page still named a next cursor".to_string())
                );
            }
            Some(next) => {
                if !seen_cursors.insert(next.clone()) {
                    return Err(collector
                        .inconsistent(format!("the server returned cursor `{next}` twice")));
                }
                cursor = Some(next);
            }
        }
    }
    match total {
        Some(total) => Ok(Listing {
            items: finish(collector, total)?,
            counted: true,
        }),
        None => Ok(Listing {
            items: collector.items,
            counted: false,
        }),
    }
}

fn finish<T: Listed>(collector: Collector<T>, total: u64) -> Result<Vec<T>, LiveReadError> {
    let read = collector.items.len() as u64;
    if read != total {
        return Err(collector.inconsistent(format!(
            "read {}, but totalResults is {total}",
            collector.kind.counted(read)
        )));
    }
    Ok(collector.items)
}
