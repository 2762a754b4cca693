//! How the C allocator may grow: settings that must be made before any thread starts.

/// Heaps glibc's allocator may keep. By default it keeps up to eight per core and a
/// thread allocates from whichever it first touched, so memory freed on one (a report's
/// history parsed on a SQLite connection's thread) is not reused by another. Two heaps
/// keep the two cores from queueing on one lock.
const ARENAS: i32 = 2;

/// Blocks at least this large are mapped on their own and unmapped when freed. glibc
/// otherwise raises the threshold to the largest block freed so far (up to 32 MB), after
/// which a report's buffers of a few megabytes stay in the heap once the report is done.
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Caps the allocator's heaps (see [`ARENAS`], [`MMAP_THRESHOLD`]) unless the environment
/// already sets them (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`). Measured on the
/// release build at 100,000 incidents, page loads then five of each report: peak 160 MB
/// with glibc's defaults, 102 MB with these. Call first thing in `main`, before the async
/// runtime starts its threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn limit_heaps() {
    for (variable, parameter, value) in [
        ("MALLOC_ARENA_MAX", libc::M_ARENA_MAX, ARENAS),
        (
            "MALLOC_MMAP_THRESHOLD_",
            libc::M_MMAP_THRESHOLD,
            MMAP_THRESHOLD,
        ),
    ] {
        if std::env::var_os(variable).is_none() {
            // SAFETY: `mallopt` only sets a tunable of glibc's allocator; it runs before
            // any other thread exists, with documented parameters and positive values.
            unsafe {
                libc::mallopt(parameter, value);
            }
        }
    }
}

/// Other allocators manage their own heaps.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_heaps() {}
