//! Parse files on worker threads, with a time budget per file that cannot hang the scan.
//!
//! Every parser is bounded (input size, nesting depth, alias expansion, step budgets), so the
//! budget is a last line of defence: a job still running after `budget` is abandoned. Its result
//! becomes [`Outcome::TimedOut`], the worker that runs it is retired (it exits when the job ends,
//! or with the process) and a fresh worker takes over the rest of the queue, so the scan goes on.
//! A job that panics becomes [`Outcome::Panicked`] instead of taking the scan down.
//! Workers are spawned with the parser's large stack (see `parse::source::PARSE_STACK`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// The job was abandoned after running this long.
    TimedOut(Duration),
    Panicked,
}

/// Default time budget for parsing one file.
pub const FILE_BUDGET: Duration = Duration::from_secs(5);

struct Worker {
    /// The job it runs and since when.
    current: Mutex<Option<(usize, Instant)>>,
    retired: AtomicBool,
}

/// The results as the workers and the supervisor fill them.
struct Board<T> {
    slots: Mutex<Vec<Option<Outcome<T>>>>,
    /// Slots filled.
    done: AtomicUsize,
    /// The supervising thread, woken when the last slot is filled (not at every result: a
    /// wake-up per file costs a context switch on a machine whose cores the workers fill).
    supervisor: std::thread::Thread,
}

impl<T> Board<T> {
    /// Fill slot `i` unless it is filled already (a job given up on); whether it was empty.
    fn fill(&self, i: usize, out: Outcome<T>) -> bool {
        let Ok(mut slots) = self.slots.lock() else { return false };
        if slots[i].is_some() {
            return false;
        }
        slots[i] = Some(out);
        if self.done.fetch_add(1, Ordering::AcqRel) + 1 == slots.len() {
            self.supervisor.unpark();
        }
        true
    }
}

/// Run `job(i)` for every `i` in `0..n` on up to `threads` workers; entry `i` of the result is
/// job `i`'s outcome.
pub fn run<T, F>(n: usize, threads: usize, budget: Duration, job: F) -> Vec<Outcome<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    if n == 0 {
        return Vec::new();
    }
    let board = Arc::new(Board {
        slots: Mutex::new((0..n).map(|_| None).collect()),
        done: AtomicUsize::new(0),
        supervisor: std::thread::current(),
    });
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers: Vec<(Arc<Worker>, Option<std::thread::JoinHandle<()>>)> = Vec::new();
    let spawn = |workers: &mut Vec<(Arc<Worker>, Option<std::thread::JoinHandle<()>>)>| {
        let w = Arc::new(Worker {
            current: Mutex::new(None),
            retired: AtomicBool::new(false),
        });
        let (me, job, next, board) = (w.clone(), job.clone(), next.clone(), board.clone());
        let body = move || {
            crate::parse::source::mark_big_stack();
            loop {
                if me.retired.load(Ordering::Acquire) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::AcqRel);
                if i >= n {
                    return;
                }
                if let Ok(mut c) = me.current.lock() {
                    *c = Some((i, Instant::now()));
                }
                let out = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(i))) {
                    Ok(v) => Outcome::Done(v),
                    Err(_) => Outcome::Panicked,
                };
                if let Ok(mut c) = me.current.lock() {
                    *c = None;
                }
                board.fill(i, out);
            }
        };
        let spawned = std::thread::Builder::new()
            .name("deploy-audit-worker".into())
            .stack_size(crate::parse::source::PARSE_STACK)
            .spawn(body);
        if let Ok(h) = spawned {
            workers.push((w, Some(h)));
        }
    };
    for _ in 0..threads.clamp(1, n) {
        spawn(&mut workers);
    }
    if workers.is_empty() {
        // No thread could be spawned: run here, without a budget.
        return (0..n).map(|i| Outcome::Done(job(i))).collect();
    }
    let tick = (budget / 4).clamp(Duration::from_millis(5), Duration::from_millis(200));
    while board.done.load(Ordering::Acquire) < n {
        // Woken by the last result, or at the tick to look for a job over its budget.
        std::thread::park_timeout(tick);
        let mut stuck = 0;
        for (w, _) in workers.iter().filter(|(w, _)| !w.retired.load(Ordering::Acquire)) {
            let Some((i, since)) = w.current.lock().ok().and_then(|c| *c) else { continue };
            let ran = since.elapsed();
            if ran > budget && board.fill(i, Outcome::TimedOut(ran)) {
                w.retired.store(true, Ordering::Release);
                stuck += 1;
            }
        }
        for _ in 0..stuck {
            if next.load(Ordering::Acquire) < n {
                spawn(&mut workers);
            }
        }
        if workers.iter().all(|(w, _)| w.retired.load(Ordering::Acquire)) && next.load(Ordering::Acquire) < n {
            // Every worker is stuck and none could be replaced: give up on the rest.
            break;
        }
    }
    // Wait for the workers that are not stuck: they end as soon as the queue is empty, and then
    // no longer hold `job` (nor what it captured, which the caller may want back).
    for (w, h) in &mut workers {
        if !w.retired.load(Ordering::Acquire) {
            if let Some(h) = h.take() {
                let _ = h.join();
            }
        }
    }
    let slots = match board.slots.lock() {
        Ok(mut s) => std::mem::take(&mut *s),
        Err(_) => Vec::new(),
    };
    let mut out: Vec<Outcome<T>> = slots.into_iter().map(|r| r.unwrap_or(Outcome::TimedOut(Duration::ZERO))).collect();
    out.resize_with(n, || Outcome::TimedOut(Duration::ZERO));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_job_in_order() {
        let out = run(100, 2, FILE_BUDGET, |i| i * 2);
        assert_eq!(out.len(), 100);
        for (i, o) in out.iter().enumerate() {
            assert!(matches!(o, Outcome::Done(v) if *v == i * 2), "{i}: {o:?}");
        }
        assert!(run(0, 2, FILE_BUDGET, |i| i).is_empty());
    }

    #[test]
    fn a_job_over_budget_is_abandoned_and_the_rest_still_runs() {
        let start = Instant::now();
        let out = run(20, 2, Duration::from_millis(100), |i| {
            if i == 3 || i == 7 {
                // A hang: far longer than the budget.
                std::thread::sleep(Duration::from_secs(30));
            }
            i
        });
        assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
        for (i, o) in out.iter().enumerate() {
            if i == 3 || i == 7 {
                assert!(matches!(o, Outcome::TimedOut(d) if *d >= Duration::from_millis(100)), "{i}: {o:?}");
            } else {
                assert!(matches!(o, Outcome::Done(v) if *v == i), "{i}: {o:?}");
            }
        }
    }

    #[test]
    fn a_panicking_job_is_reported_not_fatal() {
        let out = run(5, 1, FILE_BUDGET, |i| {
            if i == 2 {
                panic!("parser bug");
            }
            i
        });
        assert!(matches!(out[2], Outcome::Panicked));
        assert!(matches!(out[4], Outcome::Done(4)));
    }
}
