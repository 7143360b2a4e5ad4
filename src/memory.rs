//! Giving freed memory back to the operating system. After a refresh of 100,000 gateways the
//! previous fleet and the answers' bodies are freed, but glibc's allocator keeps the pages, so
//! the console's resident size would ratchet up with every refresh. `malloc_trim` hands them
//! back. Elsewhere (other allocators, other systems) this does nothing.

/// Returns freed heap pages to the operating system, where the allocator supports it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_freed() {
    unsafe extern "C" {
        /// glibc: releases free memory at the top of the heap and free pages inside it.
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim takes no pointers and only gives free pages back; it is safe to call
    // at any time from any thread.
    unsafe {
        malloc_trim(0);
    }
}

/// Returns freed heap pages to the operating system, where the allocator supports it.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
