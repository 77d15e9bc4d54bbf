//! Returning freed memory to the operating system between the phases of a plan, and
//! holding the allocator to as many arenas as there are cores.
//!
//! glibc's allocator keeps what a thread frees in that thread's arena for reuse, and
//! gives back to the system only the free space at the top of an arena. A plan frees a
//! lot in the middle: the read's page buffers, its packed member ids as they are shared,
//! the configuration's trees and prepared entries once they are used. Those pages stay in
//! the process's resident memory until `malloc_trim` hands them back. This is the one
//! place in scimform with `unsafe` code: two calls into the C library (`malloc_trim`,
//! and `mallopt` below), which take no pointers and cannot fail in a way that matters
//! (they return whether they did anything). Elsewhere (other systems, other C
//! libraries) they do nothing.
//!
//! Measured on a plan of 100 000 users that changes nothing: peak resident memory
//! 333 → 290 MiB; the calls take 2 to 60 ms, in proportion to what they give back.
//!
//! glibc also gives each thread that allocates while the others hold their arenas a new
//! arena, up to eight per core. A plan reads on the runtime's threads while it parses on
//! the loader's, and each arena keeps its own free space, so the same data took more
//! resident memory the more arenas it was spread over. One arena per core (at least two)
//! keeps the threads apart as much as they can run at once. Measured on the 2-core
//! machine, 5 runs each against glibc's default: a first import of 100 000 users peaked
//! at 257–275 MiB instead of 276–281 MiB, a plan that changes nothing at 268–285 MiB
//! instead of 273–293 MiB, in the same time.

/// Give the pages that the allocator holds free back to the operating system.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes a size and touches only the allocator's own free lists
    // (under the allocator's locks); it is safe to call at any time from any thread.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Gives freed memory back each time a phase has freed about `every` bytes since the last
/// time: for a phase that frees as it goes while the process keeps growing elsewhere (a
/// plan validates its configuration while the directory is still being read). Each
/// release costs time in proportion to what it returns and to what is allocated again
/// after it, so releasing after every small piece costs more than it saves.
#[derive(Debug)]
pub struct ReleaseEvery {
    every: usize,
    freed: usize,
}

impl ReleaseEvery {
    #[must_use]
    pub const fn new(every: usize) -> ReleaseEvery {
        ReleaseEvery { every, freed: 0 }
    }

    /// `bytes` more have been freed: give the free pages back once the phase has freed
    /// `every` bytes since the last release. Whether it released them now.
    pub fn freed(&mut self, bytes: usize) -> bool {
        self.freed = self.freed.saturating_add(bytes);
        if self.freed < self.every {
            return false;
        }
        self.freed = 0;
        release_free_memory();
        true
    }
}

/// The environment variable with which glibc users choose the number of arenas
/// themselves; [`limit_arenas`] leaves their choice alone.
pub const ARENA_MAX_ENV: &str = "MALLOC_ARENA_MAX";

/// Hold the allocator to one arena per core (at least two), unless `MALLOC_ARENA_MAX`
/// says otherwise. Call it first thing, before other threads start.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os(ARENA_MAX_ENV).is_some() {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` takes two integers and only sets an allocator parameter
        // (under the allocator's lock); arenas that already exist stay valid, and a
        // refused value (it returns 0) leaves the default in place.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_released_each_time_the_freed_bytes_reach_the_threshold() {
        let mut release = ReleaseEvery::new(10);
        let released: Vec<bool> = [4, 5, 1, 9, 0, 30, usize::MAX, 1]
            .into_iter()
            .map(|bytes| release.freed(bytes))
            .collect();
        assert_eq!(
            released,
            [false, false, true, false, false, true, true, false]
        );
    }
}
