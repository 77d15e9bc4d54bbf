//! List and search responses: `GET /Users`, `GET /Groups`, `POST /Users/.search`,
//! `POST /Groups/.search` and `POST /.search` across both, shaped by the emulated provider
//! (page caps, cursor or index paging, members left out of group lists, the `resources`
//! key, unsupported filters), by the `--refuse-count` quirk, and by the list faults
//! (`--lie-total`, `--page-drift`).
//!
//! Owns the `ListResponse` body and the rules that turn what a request asked for into what
//! the server grants. It must not render or filter resources itself (`query` does), and
//! the only data it ever adds is the page-drift user that `--page-drift` asks for.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

use super::emulation::{Emulation, Paging};
use super::error::{ScimError, scim_bytes};
use super::faults::Draw;
use super::params::Params;
use super::query::{ListRequest, Position, decode_cursor};
use super::render::{ListView, Row};
use super::routes::App;
use super::schema::Kind;
use super::store::Store;

pub(crate) const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Where the requested page starts, by the emulated provider's paging rules.
fn position(emulation: &Emulation, params: &Params) -> Result<Position, ScimError> {
    emulation.check_start_index(params.start_index)?;
    match emulation.paging {
        Paging::Index => Ok(Position::Index(params.start_index.unwrap_or(1))),
        Paging::Cursor => match params.cursor.as_deref().map(str::trim) {
            None | Some("") => Ok(Position::Cursor(None)),
            Some(cursor) => decode_cursor(cursor)
                .map(|seq| Position::Cursor(Some(seq)))
                .ok_or_else(|| {
                    ScimError::bad_request(
                        "invalidCursor",
                        format!("the cursor {cursor:?} was not issued by this server"),
                    )
                }),
        },
    }
}

fn refuse_search(emulation: &Emulation) -> Result<(), ScimError> {
    if emulation.search {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        format!(
            "POST .search is not supported (emulating {})",
            emulation.profile
        ),
    ))
}

/// `GET /Users`, `GET /Groups`, and (with `search`) their `POST .../.search`.
pub(crate) async fn list(
    app: &App,
    kind: Kind,
    params: Params,
    draw: Draw,
    search: bool,
) -> Result<Response, ScimError> {
    let emulation = &app.behaviour().emulation;
    if search {
        refuse_search(emulation)?;
    }
    app.behaviour().quirks.check_count(params.count)?;
    if let Some(filter) = &params.filter {
        emulation.check_filter(filter)?;
    }
    let position = position(emulation, &params)?;
    if kind == Kind::User && params.filter.is_none() {
        app.page_drift(position).await;
    }
    // `--lie-total` lies on the first page of every whole-list read (so that every read
    // meets it), and on about half of the other pages.
    let mut draw = draw;
    let first_page = params.start_index.unwrap_or(1) <= 1
        && params.cursor.as_deref().is_none_or(|c| c.trim().is_empty());
    if app.behaviour().faults.lie_total && params.filter.is_none() && first_page {
        draw.lie_total = true;
    }
    let store = app.store().read().await;
    let page = store.list(&ListRequest {
        kind,
        filter: params.filter.as_ref(),
        position,
        count: emulation.page_size(params.count),
    });
    let start_index = match position {
        Position::Index(start) => Some(start),
        Position::Cursor(_) => None,
    };
    let shape = Shape {
        emulation,
        params: &params,
        draw,
    };
    shape.respond(
        &store,
        vec![(kind, &page.ids)],
        page.total,
        start_index,
        page.next_cursor,
    )
}

/// `POST /.search`: users, then groups, index paging only.
pub(crate) async fn search_all(
    app: &App,
    params: Params,
    draw: Draw,
) -> Result<Response, ScimError> {
    let emulation = &app.behaviour().emulation;
    refuse_search(emulation)?;
    app.behaviour().quirks.check_count(params.count)?;
    if let Some(filter) = &params.filter {
        emulation.check_filter(filter)?;
    }
    let start = params.start_index.unwrap_or(1);
    let count = emulation.page_size(params.count);
    let store = app.store().read().await;
    let request = |kind, start, count| ListRequest {
        kind,
        filter: params.filter.as_ref(),
        position: Position::Index(start),
        count,
    };
    let users = store.list(&request(Kind::User, start, count));
    let left = count.saturating_sub(users.ids.len());
    let group_start = start.saturating_sub(users.total).max(1);
    let groups = store.list(&request(Kind::Group, group_start, left));
    let shape = Shape {
        emulation,
        params: &params,
        draw,
    };
    shape.respond(
        &store,
        vec![(Kind::User, &users.ids), (Kind::Group, &groups.ids)],
        users.total + groups.total,
        Some(start),
        None,
    )
}

/// What shapes a list response besides its resources.
struct Shape<'a> {
    emulation: &'a Emulation,
    params: &'a Params,
    draw: Draw,
}

impl Shape<'_> {
    /// The `ListResponse` holding `parts`, serialised straight from the store.
    fn respond(
        &self,
        store: &Store,
        parts: Vec<(Kind, &Vec<Arc<str>>)>,
        total: usize,
        start_index: Option<usize>,
        next_cursor: Option<String>,
    ) -> Result<Response, ScimError> {
        let (emulation, params) = (self.emulation, self.params);
        let keep = |name: &str| !emulation.projection || !params.leaves_out(name);
        let view = ListView {
            store,
            parts: parts
                .into_iter()
                .map(|(kind, ids)| (kind, ids.as_slice()))
                .collect(),
            members: emulation.group_members_in_list,
            keep: &keep,
        };
        let rows = view.rows();
        let body = ListBody {
            total: total + usize::from(self.draw.lie_total),
            rows: &rows,
            start_index,
            next_cursor,
            key: if emulation.lowercase_resources {
                "resources"
            } else {
                "Resources"
            },
            resources: view,
        };
        let bytes = body
            .to_bytes()
            .map_err(|e| ScimError::internal(format!("cannot encode the list: {e}")))?;
        Ok(scim_bytes(StatusCode::OK, bytes))
    }
}

/// An RFC 7644 `ListResponse` (with RFC 9865's `nextCursor` when cursor paging).
struct ListBody<'a> {
    total: usize,
    /// The resources of the page, looked up.
    rows: &'a [Row<'a>],
    start_index: Option<usize>,
    next_cursor: Option<String>,
    key: &'static str,
    resources: ListView<'a>,
}

impl ListBody<'_> {
    /// The response body: the envelope, then the resources written by the view.
    fn to_bytes(&self) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"{\"schemas\":");
        serde_json::to_writer(&mut out, &[LIST_SCHEMA])?;
        out.extend_from_slice(format!(",\"totalResults\":{}", self.total).as_bytes());
        out.extend_from_slice(format!(",\"itemsPerPage\":{}", self.rows.len()).as_bytes());
        if let Some(start) = self.start_index {
            out.extend_from_slice(format!(",\"startIndex\":{start}").as_bytes());
        }
        if let Some(next) = &self.next_cursor {
            out.extend_from_slice(b",\"nextCursor\":");
            serde_json::to_writer(&mut out, next)?;
        }
        out.push(b',');
        serde_json::to_writer(&mut out, self.key)?;
        out.push(b':');
        self.resources.write_rows(self.rows, &mut out)?;
        out.push(b'}');
        Ok(out)
    }
}
