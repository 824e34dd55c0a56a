//! The process's heap policy: keep what a run frees, for the next run in the same process.
//!
//! glibc's allocator gives memory back to the kernel as soon as a few hundred kilobytes lie
//! free at the top of the heap, and serves large vectors with fresh mappings it unmaps on
//! free. A run's logs and checker tables then come back as new pages for the next run, and
//! every page costs a fault and a zeroing: measured on `quorumsim bench`, whose workloads run
//! seven times each in one process, that was a fifth of the engine's time. The same holds for
//! experiments (thousands of trials) and shrinking (thousands of candidate runs). Raising the
//! two thresholds keeps freed memory in the process, to be reused; the process never holds
//! more than its peak.
//!
//! Only the `quorumsim` binary sets this, once, before any run; with another C library the
//! call is compiled out and the allocator's defaults stand.

/// Sets the policy. True when the allocator accepted it (always false off glibc).
pub fn keep_freed_memory() -> bool {
    imp::keep_freed_memory()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::ffi::c_int;

    // From glibc's <malloc.h>; stable parts of its ABI.
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;
    /// glibc's ceiling for the mmap threshold on 64-bit machines (32 MiB): vectors larger than
    /// this still get mappings of their own.
    const MMAP_THRESHOLD_BYTES: c_int = 32 * 1024 * 1024;
    /// Freed memory up to 1 GiB stays in the process.
    const TRIM_THRESHOLD_BYTES: c_int = 1 << 30;

    extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }

    pub fn keep_freed_memory() -> bool {
        // SAFETY: mallopt takes two plain integers and only changes the allocator's tuning
        // parameters, under the allocator's own lock; it is safe to call at any time.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
                && mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn keep_freed_memory() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_accepts_the_policy() {
        assert!(super::keep_freed_memory());
    }
}
