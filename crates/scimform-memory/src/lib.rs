//! Returning freed memory to the operating system between the phases of a plan.
//!
//! glibc's allocator keeps what a thread frees in that thread's arena for reuse, and
//! gives back to the system only the free space at the top of an arena. A plan frees a
//! lot in the middle: the read's page buffers, its packed member ids as they are shared,
//! the configuration's trees and prepared entries once they are used. Those pages stay in
//! the process's resident memory until `malloc_trim` hands them back. This is the one
//! place in scimform with `unsafe` code: one call into the C library, which takes no
//! pointers and cannot fail in a way that matters (it returns whether it released
//! anything). Elsewhere (other systems, other C libraries) it does nothing.
//!
//! Measured on a plan of 100 000 users that changes nothing: peak resident memory
//! 333 → 290 MiB; the calls take 2 to 60 ms, in proportion to what they give back.

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
