//! A global allocator that counts: allocations made, and heap bytes in use now and at the peak.
//!
//! Implementing `GlobalAlloc` needs `unsafe`: the test binaries that include this module are the
//! only places in the workspace with it. Every allocation is forwarded unchanged to the system
//! allocator. A test takes [`alone`] before it measures with [`Alone::measure`].
#![allow(dead_code)] // each test binary uses a part of it

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap bytes in use now, by the whole process.
pub fn in_use() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// What [`Alone::measure`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Allocations (and reallocations) made.
    pub allocations: u64,
    /// Most heap bytes in use at once, above what was in use before.
    pub peak_bytes: usize,
}

impl Usage {
    /// The peak in MiB, for messages.
    pub fn peak_mib(&self) -> f64 {
        self.peak_bytes as f64 / f64::from(1 << 20)
    }
}

/// Holds the measuring counters for one test: tests that measure take it first, so that no
/// other test of the binary allocates while they measure (the harness runs tests on several
/// threads, and the counters are global).
pub struct Alone(#[allow(dead_code)] MutexGuard<'static, ()>);

/// Waits until no other test measures, and keeps the counters until dropped.
pub fn alone() -> Alone {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    Alone(ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()))
}

impl Alone {
    /// Runs `f` and reports its heap use, threads it starts included.
    pub fn measure<T>(&self, f: impl FnOnce() -> T) -> (T, Usage) {
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        let out = f();
        let usage = Usage {
            allocations: ALLOCATIONS.load(Ordering::Relaxed) - allocations,
            peak_bytes: PEAK.load(Ordering::Relaxed).saturating_sub(base),
        };
        (out, usage)
    }
}
