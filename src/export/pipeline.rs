//! The export itself, in four steps: the directory indexed (`index`); its entries
//! written in order, by a few threads, into spools (`entry`, `yaml`, `sink`); every
//! section laid out from its entries' sizes (`layout`); and the files assembled from the
//! spools, again on a few threads. Nothing holds the directory's text whole in memory
//! when the sink is a directory: a thread holds the text of the stretch of entries it is
//! writing, no more.
//!
//! Each task writes a stretch of the users (or groups) in the order they are written,
//! each entry into the buffer of its section — its department's with `--split team` —
//! and then the buffers into its own spool, one after another: so every user is parsed
//! once, and a section is a run of bytes in each of a few spools (its *segments*).
//!
//! Files come out byte for byte as they did before export learnt to split: a section
//! that fits in its file is written exactly as it was.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::index::Index;
use super::layout::{self, SectionLayout, human_size};
use super::sink::{Part, Sink, SpoolWrite};
use super::{ExportTarget, Split, UNASSIGNED, entry, team_file_stem, yaml};
use crate::config::escape_deceptive;
use crate::live::Live;
use crate::live::json_view::Json;

/// What an export wrote.
pub(super) struct Built {
    /// Every file, the root first.
    pub(super) paths: Vec<String>,
    /// Whether files were split to stay under the limit.
    pub(super) chunked: bool,
    /// The root file's include patterns.
    pub(super) patterns: Vec<&'static str>,
    pub(super) warnings: Vec<String>,
}

/// Users or groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
        }
    }
}

/// Which section an entry belongs to: users and the file stem of their department
/// (empty without `--split team`), or groups. Sections sort in the order of their files.
type SectionKey = (Kind, String);

/// Entries that one file holds unless it is too large.
struct Section {
    kind: Kind,
    /// Positions in `live.users` or `live.groups`, in the order written.
    entries: Vec<u32>,
    /// Where the entries' text is, in order.
    segments: Vec<Segment>,
    /// Where the section goes whole (`users/eng.yaml`), and the directory of its
    /// chunks otherwise (`users/eng`).
    whole: String,
    chunks_dir: String,
    /// The include patterns that load it, whole and chunked.
    patterns: [&'static str; 2],
}

impl Section {
    fn new(key: &SectionKey, split: Split) -> Section {
        let (whole, chunks_dir, patterns) = match (key, split) {
            ((Kind::Groups, _), _) => (
                "groups.yaml".to_string(),
                "groups".to_string(),
                ["groups.yaml", "groups/*.yaml"],
            ),
            ((Kind::Users, _), Split::None) => (
                "users.yaml".to_string(),
                "users".to_string(),
                ["users.yaml", "users/*.yaml"],
            ),
            ((Kind::Users, stem), Split::Team) => (
                format!("users/{stem}.yaml"),
                format!("users/{stem}"),
                ["users/*.yaml", "users/*/*.yaml"],
            ),
        };
        Section {
            kind: key.0,
            entries: Vec::new(),
            segments: Vec::new(),
            whole,
            chunks_dir,
            patterns,
        }
    }

    /// Bytes of its entries.
    fn bytes(&self) -> u64 {
        self.segments.iter().map(Segment::bytes).sum()
    }

    /// The size of each entry.
    fn sizes(&self) -> Vec<u64> {
        self.segments
            .iter()
            .flat_map(|segment| {
                (0..segment.ends.len()).map(|i| segment.ends[i] - segment.start(segment.first + i))
            })
            .collect()
    }
}

/// Consecutive entries of a section, written one after another into one spool.
struct Segment {
    /// Which spool (the task that wrote it).
    spool: usize,
    /// The position in the section of its first entry.
    first: usize,
    /// Where its first entry starts in the spool.
    base: u64,
    /// Where each of its entries ends in the spool.
    ends: Vec<u64>,
}

impl Segment {
    /// Where the entry at position `at` of the section starts.
    fn start(&self, at: usize) -> u64 {
        if at == self.first {
            self.base
        } else {
            self.ends[at - self.first - 1]
        }
    }

    fn bytes(&self) -> u64 {
        self.ends.last().map_or(0, |end| end - self.base)
    }
}

/// What one task wrote: its spool, and the entries of each section in it.
struct Written<S> {
    spool: S,
    parts: Vec<Spooled>,
}

/// The entries of one section in a task's spool.
struct Spooled {
    key: SectionKey,
    entries: Vec<u32>,
    /// Where the first starts.
    base: u64,
    /// Where each ends.
    ends: Vec<u64>,
}

/// A file to assemble.
struct FileSpec {
    path: String,
    pieces: Vec<Piece>,
    bytes: u64,
}

enum Piece {
    Text(String),
    /// Entries of a section, by position.
    Entries {
        section: usize,
        entries: Vec<u32>,
    },
}

/// Write the export of `live` into `sink`, no file over `limit` bytes where the entries
/// allow.
pub(super) fn run<S: Sink>(
    live: &Live,
    target: &ExportTarget,
    split: Split,
    limit: u64,
    sink: &S,
) -> Result<Built, S::Error> {
    let index = Index::new(live);
    let mut warnings = Vec::new();
    let (sections, spools) = spool_all(&index, split, sink, &mut warnings)?;
    let budget = layout::budget(limit);
    let (layouts, _) = parallel(
        sections.len(),
        || (),
        |(), at| {
            let section = &sections[at];
            let keys = section_keys(&index, section);
            let header = header(section.kind, false).len() as u64;
            Ok::<_, Infallible>(layout::lay_out(&keys, &section.sizes(), header, budget))
        },
    );
    let Ok(layouts) = layouts;
    let files = files(target, split, limit, &sections, &layouts);
    write_files(sink, &files.specs, &sections, &spools)?;
    oversized(&index, &sections, &files.specs, limit, &mut warnings);
    Ok(Built {
        paths: files.specs.into_iter().map(|f| f.path).collect(),
        chunked: files.chunked,
        patterns: files.patterns,
        warnings: finish_warnings(&warnings),
    })
}

fn is_chunked(layout: &SectionLayout) -> bool {
    matches!(layout, SectionLayout::Chunks(_))
}

/// A task: a stretch of the users or of the groups, in the order written.
type Task = (Kind, Range<usize>);

/// The sections and the spools their entries were written into.
type SpooledAll<S> = Result<(Vec<Section>, Vec<<S as Sink>::Spool>), <S as Sink>::Error>;

/// Every entry written into spools, by a few threads: the sections (users' first,
/// then the groups'), and the spools.
fn spool_all<S: Sink>(
    index: &Index<'_>,
    split: Split,
    sink: &S,
    warnings: &mut Vec<String>,
) -> SpooledAll<S> {
    let tasks: Vec<Task> = stretches(index.user_order.len(), Kind::Users)
        .into_iter()
        .map(|r| (Kind::Users, r))
        .chain(
            stretches(index.group_order.len(), Kind::Groups)
                .into_iter()
                .map(|r| (Kind::Groups, r)),
        )
        .collect();
    let (results, states) = parallel(tasks.len(), Scratch::default, |scratch, task| {
        write_stretch(index, split, &tasks[task], sink, scratch)
    });
    for scratch in states {
        warnings.extend(scratch.warnings);
    }
    let mut sections: BTreeMap<SectionKey, Section> = BTreeMap::new();
    // Both lists, even empty, in a single file: `users: []`, `groups: []`.
    if split == Split::None {
        sections.insert(
            (Kind::Users, String::new()),
            Section::new(&(Kind::Users, String::new()), split),
        );
    }
    sections.insert(
        (Kind::Groups, String::new()),
        Section::new(&(Kind::Groups, String::new()), split),
    );
    let mut spools = Vec::with_capacity(tasks.len());
    for (at, written) in results?.into_iter().enumerate() {
        spools.push(written.spool);
        for part in written.parts {
            let section = sections
                .entry(part.key.clone())
                .or_insert_with(|| Section::new(&part.key, split));
            section.segments.push(Segment {
                spool: at,
                first: section.entries.len(),
                base: part.base,
                ends: part.ends,
            });
            section.entries.extend(part.entries);
        }
    }
    Ok((sections.into_values().collect(), spools))
}

/// What a thread keeps between its tasks.
#[derive(Default)]
struct Scratch {
    warnings: Vec<String>,
    /// Department names and their file stems.
    stems: HashMap<String, String>,
}

/// `0..len` in consecutive stretches, small enough that a thread's buffers stay small
/// and the threads share the work evenly, large enough to be worth a spool.
fn stretches(len: usize, kind: Kind) -> Vec<Range<usize>> {
    // A group has many members, a user a few attributes.
    let (least, most) = match kind {
        Kind::Users => (1024, 4096),
        Kind::Groups => (128, 512),
    };
    let size = (len / 16).clamp(least, most);
    (0..len)
        .step_by(size)
        .map(|start| start..(start + size).min(len))
        .collect()
}

/// The entries of one section that a task wrote, before they go to its spool.
#[derive(Default)]
struct Buffer {
    entries: Vec<u32>,
    text: String,
    /// Where each entry ends in `text`.
    ends: Vec<usize>,
}

impl Buffer {
    fn push(&mut self, at: u32, node: &yaml::Node<'_>) {
        yaml::push_item(&mut self.text, node);
        self.entries.push(at);
        self.ends.push(self.text.len());
    }
}

/// Write the entries of `task` into a new spool, each section's together.
fn write_stretch<S: Sink>(
    index: &Index<'_>,
    split: Split,
    task: &Task,
    sink: &S,
    scratch: &mut Scratch,
) -> Result<Written<S::Spool>, S::Error> {
    let buffers = render_stretch(index, split, task, scratch);
    spool_buffers(buffers, sink)
}

/// The entries of `task`, rendered, by section.
fn render_stretch(
    index: &Index<'_>,
    split: Split,
    (kind, range): &Task,
    scratch: &mut Scratch,
) -> BTreeMap<SectionKey, Buffer> {
    let live = index.live();
    let mut buffers: BTreeMap<SectionKey, Buffer> = BTreeMap::new();
    let order = match kind {
        Kind::Users => &index.user_order,
        Kind::Groups => &index.group_order,
    };
    for &at in &order[range.clone()] {
        match kind {
            Kind::Users => {
                let resource = Json::parse(live.users[at as usize].json.as_str());
                let stem = match split {
                    Split::None => String::new(),
                    Split::Team => department_stem(&resource, &mut scratch.stems),
                };
                let node = entry::user(&resource, index, &mut scratch.warnings);
                buffers
                    .entry((Kind::Users, stem))
                    .or_default()
                    .push(at, &node);
            }
            Kind::Groups => {
                let group = &live.groups[at as usize];
                let resource = Json::parse(group.json.as_str());
                let node = entry::group(group, &resource, index, &mut scratch.warnings);
                buffers
                    .entry((Kind::Groups, String::new()))
                    .or_default()
                    .push(at, &node);
            }
        }
    }
    buffers
}

/// The buffers in a new spool, one after another.
fn spool_buffers<S: Sink>(
    buffers: BTreeMap<SectionKey, Buffer>,
    sink: &S,
) -> Result<Written<S::Spool>, S::Error> {
    let mut spool = sink.spool()?;
    let mut parts = Vec::with_capacity(buffers.len());
    let mut base = 0;
    for (key, buffer) in buffers {
        // Entry by entry: what the spool holds of each (redacted) is what counts.
        let mut start = 0;
        let mut ends = Vec::with_capacity(buffer.ends.len());
        for end in buffer.ends {
            ends.push(spool.push(&buffer.text[start..end])?);
            start = end;
        }
        let next = ends.last().copied().unwrap_or(base);
        parts.push(Spooled {
            key,
            entries: buffer.entries,
            base,
            ends,
        });
        base = next;
    }
    Ok(Written {
        spool: spool.finish()?,
        parts,
    })
}

/// The file stem of a user's department (see [`team_file_stem`]), or [`UNASSIGNED`].
fn department_stem(resource: &Json<'_>, stems: &mut HashMap<String, String>) -> String {
    match entry::department(resource).filter(|d| !d.trim().is_empty()) {
        None => UNASSIGNED.to_string(),
        Some(department) => stems
            .entry(department.to_string())
            .or_insert_with(|| team_file_stem(department))
            .clone(),
    }
}

fn section_keys<'i>(index: &'i Index<'_>, section: &Section) -> Vec<&'i str> {
    let keys = match section.kind {
        Kind::Users => &index.user_keys,
        Kind::Groups => &index.group_keys,
    };
    section
        .entries
        .iter()
        .map(|at| keys[*at as usize].as_str())
        .collect()
}

/// The first line of a section's file: `users:`, or `users: []` with no entries.
fn header(kind: Kind, empty: bool) -> String {
    if empty {
        format!("{}: []\n", kind.key())
    } else {
        format!("{}:\n", kind.key())
    }
}

/// The files to write.
struct Files {
    /// The root file first, then each section's.
    specs: Vec<FileSpec>,
    /// Whether the layout is not the one a directory without a size limit would have.
    chunked: bool,
    /// The root file's include patterns.
    patterns: Vec<&'static str>,
}

/// The files of the export: everything in one file when `--split none` fits, otherwise
/// a root file that includes each section's file or files.
fn files(
    target: &ExportTarget,
    split: Split,
    limit: u64,
    sections: &[Section],
    layouts: &[SectionLayout],
) -> Files {
    if split == Split::None
        && let Some(file) = one_file(target, limit, sections)
    {
        return Files {
            specs: vec![file],
            chunked: false,
            patterns: Vec::new(),
        };
    }
    let mut specs = Vec::new();
    let mut patterns: Vec<(usize, &'static str)> = Vec::new();
    for (at, (section, layout)) in sections.iter().zip(layouts).enumerate() {
        // Users' patterns first, each kind's whole files before its chunks.
        let rank = usize::from(section.kind == Kind::Groups) * 2;
        match layout {
            SectionLayout::Whole => {
                patterns.push((rank, section.patterns[0]));
                specs.push(FileSpec {
                    path: section.whole.clone(),
                    pieces: whole_pieces(at, section),
                    bytes: header(section.kind, section.entries.is_empty()).len() as u64
                        + section.bytes(),
                });
            }
            SectionLayout::Chunks(chunks) => {
                patterns.push((rank + 1, section.patterns[1]));
                specs.extend(chunks.iter().map(|chunk| chunk_file(at, section, chunk)));
            }
        }
    }
    patterns.sort_by_key(|(rank, _)| *rank);
    patterns.dedup();
    let patterns: Vec<&'static str> = patterns.into_iter().map(|(_, p)| p).collect();
    let chunked = split == Split::None || layouts.iter().any(is_chunked);
    specs.insert(0, root_file(target, limit, chunked, &patterns));
    Files {
        specs,
        chunked,
        patterns,
    }
}

/// Everything in `scimform.yaml`, if that fits in the budget.
fn one_file(target: &ExportTarget, limit: u64, sections: &[Section]) -> Option<FileSpec> {
    let mut root = heading(target);
    root.push_str(&to_yaml(&json!({ "target": target_section(target) })));
    let bytes = root.len() as u64
        + sections
            .iter()
            .map(|s| header(s.kind, s.entries.is_empty()).len() as u64 + s.bytes())
            .sum::<u64>();
    if bytes > layout::budget(limit) {
        return None;
    }
    let mut pieces = vec![Piece::Text(root)];
    for (at, section) in sections.iter().enumerate() {
        pieces.extend(whole_pieces(at, section));
    }
    Some(FileSpec {
        path: crate::config::ROOT_FILE.to_string(),
        pieces,
        bytes,
    })
}

/// The root file of a split export: the target, and the patterns that include the rest.
fn root_file(target: &ExportTarget, limit: u64, chunked: bool, patterns: &[&str]) -> FileSpec {
    let mut root = heading(target);
    if chunked {
        root.push_str(&split_note(limit));
    }
    root.push_str(&to_yaml(
        &json!({ "target": target_section(target), "include": patterns }),
    ));
    FileSpec {
        path: crate::config::ROOT_FILE.to_string(),
        bytes: root.len() as u64,
        pieces: vec![Piece::Text(root)],
    }
}

/// One chunk of a section.
fn chunk_file(at: usize, section: &Section, chunk: &layout::Chunk) -> FileSpec {
    FileSpec {
        path: format!("{}/{}.yaml", section.chunks_dir, chunk.name),
        pieces: vec![
            Piece::Text(header(section.kind, false)),
            Piece::Entries {
                section: at,
                entries: chunk.entries.clone(),
            },
        ],
        bytes: chunk.bytes,
    }
}

/// A whole section: its header and every entry.
fn whole_pieces(at: usize, section: &Section) -> Vec<Piece> {
    let mut pieces = vec![Piece::Text(header(
        section.kind,
        section.entries.is_empty(),
    ))];
    if !section.entries.is_empty() {
        pieces.push(Piece::Entries {
            section: at,
            entries: (0u32..).take(section.entries.len()).collect(),
        });
    }
    pieces
}

/// The comment that opens the root file.
fn heading(target: &ExportTarget) -> String {
    format!(
        "# Exported by `scimform export` from {}.\n# Every user and group the directory held is declared here; `scimform plan` against it is empty.\n",
        target.url
    )
}

/// What the root file says when files were split.
fn split_note(limit: u64) -> String {
    format!(
        "# A configuration file may not exceed {}, so long lists are split by the first letters\n# of the names: `ab.yaml` holds the names that begin with ab (`_` stands for any other\n# ASCII character, `+` and six hex digits for any other character).\n",
        human_size(limit)
    )
}

fn target_section(target: &ExportTarget) -> Value {
    json!({
        "url": target.url,
        "profile": target.profile,
        "token_env": target.token_env,
    })
}

fn to_yaml(value: &Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("# cannot write YAML: {e}\n"))
}

/// Assemble every file, largest first, on a few threads.
fn write_files<S: Sink>(
    sink: &S,
    files: &[FileSpec],
    sections: &[Section],
    spools: &[S::Spool],
) -> Result<(), S::Error> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|at| std::cmp::Reverse(files[*at].bytes));
    let (results, _) = parallel(
        order.len(),
        || (),
        |(), task| {
            let file = &files[order[task]];
            let mut parts = Vec::new();
            for piece in &file.pieces {
                match piece {
                    Piece::Text(text) => parts.push(Part::Text(text)),
                    Piece::Entries { section, entries } => {
                        spooled_parts(&sections[*section].segments, spools, entries, &mut parts);
                    }
                }
            }
            sink.file(&file.path, &parts)
        },
    );
    results.map(|_| ())
}

/// The spool ranges that hold `entries` (increasing positions): one range for each run
/// of consecutive entries within a segment.
fn spooled_parts<'s, Sp>(
    segments: &[Segment],
    spools: &'s [Sp],
    entries: &[u32],
    parts: &mut Vec<Part<'s, Sp>>,
) {
    let mut at = 0;
    while at < entries.len() {
        let first = entries[at] as usize;
        let segment_at = segments.partition_point(|s| s.first <= first) - 1;
        let segment = &segments[segment_at];
        let segment_end = segment.first + segment.ends.len();
        let mut last = first;
        at += 1;
        while at < entries.len() && entries[at] as usize == last + 1 && last + 1 < segment_end {
            last += 1;
            at += 1;
        }
        parts.push(Part::Spooled(
            &spools[segment.spool],
            segment.start(first)..segment.ends[last - segment.first],
        ));
    }
}

/// A warning for each file over `limit`: one entry that no file can hold.
fn oversized(
    index: &Index<'_>,
    sections: &[Section],
    files: &[FileSpec],
    limit: u64,
    warnings: &mut Vec<String>,
) {
    for file in files.iter().filter(|f| f.bytes > limit) {
        let what = file
            .pieces
            .iter()
            .find_map(|piece| match piece {
                Piece::Entries { section, entries } => entries
                    .first()
                    .map(|first| entry_name(index, &sections[*section], *first)),
                Piece::Text(_) => None,
            })
            .unwrap_or_default();
        warnings.push(format!(
            "{} is {} bytes, over the limit of {} for one configuration file, because {what} alone is larger; the loader will refuse it",
            file.path,
            file.bytes,
            human_size(limit)
        ));
    }
}

/// The entry at `position` of `section`, for a message.
fn entry_name(index: &Index<'_>, section: &Section, position: u32) -> String {
    let at = section.entries[position as usize] as usize;
    match section.kind {
        Kind::Users => format!("user `{}`", index.live().users[at].user_name),
        Kind::Groups => {
            let group = &index.live().groups[at];
            format!(
                "group `{}` (with {} members)",
                group.display_name,
                group.members.len()
            )
        }
    }
}

/// Warnings sorted, without repeats, and safe for a terminal (names come from the
/// server: no terminal sees their control or bidi characters).
fn finish_warnings(warnings: &[String]) -> Vec<String> {
    let mut warnings: Vec<String> = warnings
        .iter()
        .map(|w| escape_deceptive(w).into_owned())
        .collect();
    warnings.sort();
    warnings.dedup();
    warnings
}

/// What one thread of [`parallel`] did: its tasks' results, and its state.
type Finished<T, E, W> = (Vec<(usize, Result<T, E>)>, W);

/// Run `work` for tasks `0..count` on a few threads, each with its own state from
/// `init`: the results in task order (or the error of the first task that failed — no
/// task starts after one failed), and the states.
fn parallel<T: Send, E: Send, W: Send>(
    count: usize,
    init: impl Fn() -> W + Sync,
    work: impl Fn(&mut W, usize) -> Result<T, E> + Sync,
) -> (Result<Vec<T>, E>, Vec<W>) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(count);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let worker = || {
        let mut state = init();
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let task = next.fetch_add(1, Ordering::Relaxed);
            if task >= count {
                break;
            }
            let result = work(&mut state, task);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((task, result));
        }
        (done, state)
    };
    let finished: Vec<Finished<T, E, W>> = if threads <= 1 {
        vec![worker()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    let mut results: Vec<(usize, Result<T, E>)> = Vec::with_capacity(count);
    let mut states = Vec::with_capacity(finished.len());
    for (done, state) in finished {
        results.extend(done);
        states.push(state);
    }
    // Tasks are taken in order and each taken one finishes: without an error, all are
    // here; with one, the first error in task order is the one to report.
    results.sort_by_key(|(task, _)| *task);
    let results = results.into_iter().map(|(_, result)| result).collect();
    (results, states)
}
