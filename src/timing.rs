//! Opt-in phase timings: with `DEPLOY_AUDIT_TIMINGS=1` in the environment, each phase of a scan
//! (walk, parse, model, checks, render) prints its wall time, the CPU time of all threads and the
//! minor page faults in it, and the resident memory after it, to standard error, for profiling a
//! slow scan without a profiler. Off by default; costs one relaxed load per phase when off.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static STATE: AtomicU8 = AtomicU8::new(0);

fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("DEPLOY_AUDIT_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        s => s == 2,
    }
}

/// A running phase; [`Phase::end`] (or dropping it) prints its time when timings are on.
pub struct Phase {
    name: &'static str,
    start: Option<(Instant, Usage)>,
}

/// The process's CPU time (all threads, user and system) and minor page faults so far.
#[derive(Clone, Copy)]
struct Usage {
    cpu_ms: f64,
    faults: i64,
}

#[cfg(unix)]
fn usage() -> Usage {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return Usage { cpu_ms: 0.0, faults: 0 };
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    Usage {
        cpu_ms: ms(u.ru_utime) + ms(u.ru_stime),
        faults: u.ru_minflt as i64,
    }
}

#[cfg(not(unix))]
fn usage() -> Usage {
    Usage { cpu_ms: 0.0, faults: 0 }
}

/// Start timing the phase `name`.
pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        start: enabled().then(|| (Instant::now(), usage())),
    }
}

impl Phase {
    pub fn end(self) {}
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some((t, u)) = self.start {
            let now = usage();
            eprintln!(
                "[timing] {:<28} {:>8.2} ms   cpu {:>6.1} ms  faults {:>5}{}",
                self.name,
                t.elapsed().as_secs_f64() * 1000.0,
                now.cpu_ms - u.cpu_ms,
                now.faults - u.faults,
                resident().map(|m| format!("   (resident {m:.1} MiB)")).unwrap_or_default()
            );
        }
    }
}

/// The process's resident memory (Linux `VmRSS` of `/proc/self/status`), in MiB.
fn resident() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

static TALLY: std::sync::Mutex<Vec<(&'static str, std::time::Duration)>> = std::sync::Mutex::new(Vec::new());

/// Run `f`, adding its time to `name`'s tally when timings are on (see [`report_tally`]).
pub fn tally<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let t = Instant::now();
    let r = f();
    let d = t.elapsed();
    if let Ok(mut v) = TALLY.lock() {
        match v.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 += d,
            None => v.push((name, d)),
        }
    }
    r
}

/// Print the largest tallies (summed over threads), largest first.
pub fn report_tally(top: usize) {
    if !enabled() {
        return;
    }
    if let Ok(mut v) = TALLY.lock() {
        v.sort_by_key(|e| std::cmp::Reverse(e.1));
        let sum: std::time::Duration = v.iter().map(|(_, d)| *d).sum();
        eprintln!("[timing]   {:<26} {:>8.2} ms", "(sum of all)", sum.as_secs_f64() * 1000.0);
        for (n, d) in v.iter().take(top) {
            eprintln!("[timing]   {:<26} {:>8.2} ms", n, d.as_secs_f64() * 1000.0);
        }
    }
}
