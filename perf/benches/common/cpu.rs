//! CPU time as a criterion measurement: the machine is shared, and the CPU a verification
//! consumes is what the figures compare. Two clocks, one implementation:
//! - [`CpuTime::THREAD`]: the calling thread (the benchmark runs on one thread);
//! - [`CpuTime::PROCESS`]: all threads, for benches whose work leaves the calling thread
//!   (samlsp-actix verifies on actix's blocking pool, `web::block`, which thread CPU time would
//!   not see). On an otherwise idle process the two agree for single-threaded work.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// CPU time read from one POSIX clock.
#[derive(Clone, Copy)]
pub struct CpuTime(libc::clockid_t);

impl CpuTime {
    pub const THREAD: CpuTime = CpuTime(libc::CLOCK_THREAD_CPUTIME_ID);
    pub const PROCESS: CpuTime = CpuTime(libc::CLOCK_PROCESS_CPUTIME_ID);

    /// The clock's current value.
    pub fn now(self) -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid pointer to a timespec; both CPU-time clocks exist on Linux.
        let rc = unsafe { libc::clock_gettime(self.0, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime({})", self.0);
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

static WALL: WallTime = WallTime;

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        self.now()
    }
    fn end(&self, start: Duration) -> Duration {
        self.now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter() // same unit (ns), same formatting
    }
}
