//! Heap allocated per verification (no timing). Run from `perf/`:
//! `nice cargo bench --bench alloc`.
//!
//! Two counters:
//! - "all": this binary defines `malloc`, `calloc`, `realloc`, `free`, `posix_memalign`,
//!   `aligned_alloc` and `memalign`, forwarding to glibc's `__libc_*` entry points. The
//!   executable's definitions interpose on glibc's for every shared library, so this sees the C
//!   side too (libxml2, libxmlsec1, OpenSSL) as well as Rust (whose `System` allocator calls malloc).
//! - "rust": a counting `#[global_allocator]` around `System`: Rust-side allocations only.
//!
//! A realloc counts as one allocation of its new size (as dhat does). "peak" is the largest
//! growth of live heap (malloc_usable_size) above the level at the start of one call.
//! Glibc-specific (Linux); other platforms are not supported by this bench.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

// ---------------------------------------------------------------------------------------------
// Counters

struct Counters {
    allocs: AtomicU64,
    bytes: AtomicU64,
    frees: AtomicU64,
    live: AtomicI64,
    peak: AtomicI64,
}

impl Counters {
    const fn new() -> Self {
        Self {
            allocs: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            frees: AtomicU64::new(0),
            live: AtomicI64::new(0),
            peak: AtomicI64::new(0),
        }
    }
    #[inline]
    fn on_alloc(&self, requested: usize, live_delta: i64) {
        self.allocs.fetch_add(1, Relaxed);
        self.bytes.fetch_add(requested as u64, Relaxed);
        let now = self.live.fetch_add(live_delta, Relaxed) + live_delta;
        self.peak.fetch_max(now, Relaxed);
    }
    #[inline]
    fn on_free(&self, live_delta: i64) {
        self.frees.fetch_add(1, Relaxed);
        self.live.fetch_sub(live_delta, Relaxed);
    }
    fn snapshot(&self) -> Snap {
        Snap {
            allocs: self.allocs.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            frees: self.frees.load(Relaxed),
            live: self.live.load(Relaxed),
        }
    }
    fn reset_peak(&self) {
        self.peak.store(self.live.load(Relaxed), Relaxed);
    }
}

#[derive(Clone, Copy)]
struct Snap {
    allocs: u64,
    bytes: u64,
    frees: u64,
    live: i64,
}

static ALL: Counters = Counters::new();
static RUST: Counters = Counters::new();

// ---------------------------------------------------------------------------------------------
// Rust global allocator (Rust-side allocations only)

struct CountingRust;

unsafe impl GlobalAlloc for CountingRust {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            RUST.on_alloc(layout.size(), layout.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            RUST.on_alloc(layout.size(), layout.size() as i64);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            RUST.on_alloc(new_size, new_size as i64 - layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        RUST.on_free(layout.size() as i64);
    }
}

#[global_allocator]
static GLOBAL: CountingRust = CountingRust;

// ---------------------------------------------------------------------------------------------
// malloc interposition (everything: C libraries and Rust)

unsafe extern "C" {
    fn __libc_malloc(size: usize) -> *mut c_void;
    fn __libc_calloc(n: usize, size: usize) -> *mut c_void;
    fn __libc_realloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn __libc_free(p: *mut c_void);
    fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
    fn malloc_usable_size(p: *mut c_void) -> usize;
}

#[inline]
unsafe fn usable(p: *mut c_void) -> i64 {
    if p.is_null() {
        0
    } else {
        unsafe { malloc_usable_size(p) as i64 }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    let p = unsafe { __libc_malloc(size) };
    if !p.is_null() {
        ALL.on_alloc(size, unsafe { usable(p) });
    }
    p
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    let p = unsafe { __libc_calloc(n, size) };
    if !p.is_null() {
        ALL.on_alloc(n.saturating_mul(size), unsafe { usable(p) });
    }
    p
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn realloc(old: *mut c_void, size: usize) -> *mut c_void {
    let old_usable = unsafe { usable(old) };
    let p = unsafe { __libc_realloc(old, size) };
    if !p.is_null() {
        ALL.on_alloc(size, unsafe { usable(p) } - old_usable);
    } else if !old.is_null() && size == 0 {
        ALL.on_free(old_usable); // realloc(p, 0) frees
    }
    p
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn free(p: *mut c_void) {
    if !p.is_null() {
        ALL.on_free(unsafe { usable(p) });
        unsafe { __libc_free(p) };
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    let p = unsafe { __libc_memalign(align, size) };
    if !p.is_null() {
        ALL.on_alloc(size, unsafe { usable(p) });
    }
    p
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    unsafe { memalign(align, size) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    const EINVAL: i32 = 22;
    const ENOMEM: i32 = 12;
    if !align.is_power_of_two() || align % std::mem::size_of::<*mut c_void>() != 0 {
        return EINVAL;
    }
    let p = unsafe { memalign(align, size) };
    if p.is_null() {
        return ENOMEM;
    }
    unsafe { *out = p };
    0
}

// ---------------------------------------------------------------------------------------------

const WARMUP: usize = 50;

/// Calls averaged over: `$ALLOC_CALLS`, default 1000.
fn calls() -> usize {
    std::env::var("ALLOC_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

struct Row {
    name: &'static str,
    all_allocs: f64,
    all_bytes: f64,
    all_peak: i64,
    all_frees: f64,
    all_leak: f64,
    rust_allocs: f64,
    rust_bytes: f64,
    rust_leak: f64,
}

fn measure(name: &'static str, mut f: impl FnMut()) -> Row {
    for _ in 0..WARMUP {
        f();
    }
    // Peak of one call.
    let start = ALL.snapshot();
    ALL.reset_peak();
    f();
    let all_peak = ALL.peak.load(Relaxed) - start.live;
    // Averages over CALLS calls.
    let (a0, r0) = (ALL.snapshot(), RUST.snapshot());
    for _ in 0..calls() {
        f();
    }
    let (a1, r1) = (ALL.snapshot(), RUST.snapshot());
    let n = calls() as f64;
    Row {
        name,
        all_allocs: (a1.allocs - a0.allocs) as f64 / n,
        all_bytes: (a1.bytes - a0.bytes) as f64 / n,
        all_peak,
        all_frees: (a1.frees - a0.frees) as f64 / n,
        all_leak: (a1.live - a0.live) as f64 / n,
        rust_allocs: (r1.allocs - r0.allocs) as f64 / n,
        rust_bytes: (r1.bytes - r0.bytes) as f64 / n,
        rust_leak: (r1.live - r0.live) as f64 / n,
    }
}

fn main() {
    // Self-test of the interposition: a C library allocation must show up in "all" only.
    let before = (ALL.snapshot(), RUST.snapshot());
    let v: Vec<u8> = Vec::with_capacity(1 << 16);
    drop(black_box(v));
    let p = unsafe { malloc(123) };
    unsafe { free(black_box(p)) };
    let after = (ALL.snapshot(), RUST.snapshot());
    assert!(
        after.1.allocs > before.1.allocs,
        "global allocator not counting"
    );
    assert!(
        after.0.allocs >= before.0.allocs + 2,
        "malloc interposition not counting"
    );

    let mut rows = Vec::new();

    let (signed_info, signature, key) = common::real_signed_info();
    assert!(common::openssl_verify(&signed_info, &signature, &key));
    rows.push(measure("openssl_rsa2048_verify_floor", || {
        assert!(common::openssl_verify(
            black_box(&signed_info),
            black_box(&signature),
            &key
        ));
    }));
    let floor_all = rows[0].all_allocs;

    for (name, file) in common::INPUTS {
        let b64 = common::read_input(file);
        let sp = common::samael_sp(&b64);
        common::check_samael(&sp, &b64, file);
        rows.push(measure(name, || {
            black_box(common::samael_verify(&sp, black_box(&b64)));
        }));
    }

    let sp = common::samlsp_sp();
    for (name, file) in common::INPUTS {
        let b64 = common::read_input(file);
        common::check_samlsp(&sp, &b64, file);
        let now = common::samlsp_now(&b64);
        let name = name.replacen("samael", "samlsp", 1);
        let name: &'static str = Box::leak(name.into_boxed_str());
        rows.push(measure(name, || {
            black_box(common::samlsp_verify(&sp, black_box(&b64), now));
        }));
    }

    // If the C libraries' allocations were invisible, samael's "all" would equal its "rust".
    assert!(
        rows[1].all_allocs > rows[1].rust_allocs && floor_all > 0.0,
        "malloc interposition does not see libxml2/xmlsec/OpenSSL"
    );

    println!(
        "heap per verification (mean of {} calls after {WARMUP} warm-up; peak = one call)",
        calls()
    );
    println!(
        "{:<30} {:>8} {:>8} {:>10} {:>10} {:>9} {:>11} {:>10} {:>9}",
        "function",
        "allocs",
        "frees",
        "bytes",
        "peak live",
        "leak/call",
        "rust allocs",
        "rust bytes",
        "rust leak"
    );
    for r in &rows {
        println!(
            "{:<30} {:>8.1} {:>8.1} {:>10.0} {:>10} {:>9.1} {:>11.1} {:>10.0} {:>9.1}",
            r.name,
            r.all_allocs,
            r.all_frees,
            r.all_bytes,
            r.all_peak,
            r.all_leak,
            r.rust_allocs,
            r.rust_bytes,
            r.rust_leak
        );
    }
}
