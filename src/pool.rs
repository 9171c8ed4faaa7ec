//! Parse files on worker threads, with a time budget per file that cannot hang the scan.
//!
//! Every parser is bounded (input size, nesting depth, alias expansion, step budgets), so the
//! budget is a last line of defence: a job still running after `budget` is abandoned. Its result
//! becomes [`Outcome::TimedOut`], the worker that runs it is retired (it exits when the job ends,
//! or with the process) and a fresh worker takes over the rest of the queue, so the scan goes on.
//! A job that panics becomes [`Outcome::Panicked`] instead of taking the scan down.
//! Workers are spawned with the parser's large stack (see `parse::source::PARSE_STACK`).
//!
//! [`Stream`] hands the outcomes to the thread that started the jobs in order, as they come, so
//! it can use each one while the workers run the next; [`run`] collects them all.

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

/// The cores this process may use (`std::thread::available_parallelism`, 2 when unknown), asked
/// once: the answer reads the cgroup's CPU quota, about ten system calls, and the parse, check
/// and render stages each size their workers by it.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
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
    /// The supervisor is woken when `done` reaches this count (`usize::MAX`: it is not waiting).
    /// It asks for many results at a time, not for every one: a wake-up per file costs a context
    /// switch on a machine whose cores the workers fill.
    want: AtomicUsize,
    /// The supervising thread.
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
        drop(slots);
        // (SeqCst, as the supervisor's store of `want` and load of `done`: one of the two sides
        // sees the other's write, so a wake-up is never lost.)
        if self.done.fetch_add(1, Ordering::SeqCst) + 1 >= self.want.load(Ordering::SeqCst) {
            self.supervisor.unpark();
        }
        true
    }
}

/// The fewest results [`Stream::take`] waits for when the one it needs is not ready: it waits
/// for half of those not done yet, and at least this many (waking every 64 results gained
/// nothing, at a context switch each).
const BATCH: usize = 64;

type Job<T> = Arc<dyn Fn(usize) -> T + Send + Sync>;

/// Jobs `0..n` running on the workers, their outcomes taken in order by the thread that started
/// them (the supervisor), which can use each one while the workers run the next: see
/// [`Stream::take`].
pub struct Stream<T> {
    n: usize,
    budget: Duration,
    tick: Duration,
    job: Job<T>,
    next: Arc<AtomicUsize>,
    board: Arc<Board<T>>,
    workers: Vec<(Arc<Worker>, Option<std::thread::JoinHandle<()>>)>,
}

impl<T: Send + 'static> Stream<T> {
    /// Start running `job(i)` for every `i` in `0..n` on up to `threads` workers.
    pub fn start<F>(n: usize, threads: usize, budget: Duration, job: F) -> Stream<T>
    where
        F: Fn(usize) -> T + Send + Sync + 'static,
    {
        let mut s = Stream {
            n,
            budget,
            tick: (budget / 4).clamp(Duration::from_millis(5), Duration::from_millis(200)),
            job: Arc::new(job),
            next: Arc::new(AtomicUsize::new(0)),
            board: Arc::new(Board {
                slots: Mutex::new((0..n).map(|_| None).collect()),
                done: AtomicUsize::new(0),
                want: AtomicUsize::new(usize::MAX),
                supervisor: std::thread::current(),
            }),
            workers: Vec::new(),
        };
        if n > 0 {
            for _ in 0..threads.clamp(1, n) {
                s.spawn();
            }
        }
        s
    }

    fn spawn(&mut self) {
        let w = Arc::new(Worker {
            current: Mutex::new(None),
            retired: AtomicBool::new(false),
        });
        let (me, job, next, board, n) = (w.clone(), self.job.clone(), self.next.clone(), self.board.clone(), self.n);
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
            self.workers.push((w, Some(h)));
        }
    }

    /// Job `i`'s outcome, waiting for it while watching the budget. Take each job once, in
    /// increasing order (the workers run them in that order). A job given up on is
    /// [`Outcome::TimedOut`].
    pub fn take(&mut self, i: usize) -> Outcome<T> {
        if self.workers.is_empty() {
            // No thread could be spawned: run here, without a budget.
            return match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.job)(i))) {
                Ok(v) => Outcome::Done(v),
                Err(_) => Outcome::Panicked,
            };
        }
        loop {
            if let Some(out) = self.board.slots.lock().ok().and_then(|mut s| s.get_mut(i).and_then(Option::take)) {
                return out;
            }
            // Woken when half of what is left is done (or the last), or at the tick to look for
            // a job over its budget.
            let done = self.board.done.load(Ordering::SeqCst);
            self.board.want.store((done + BATCH.max((self.n - done) / 2)).min(self.n), Ordering::SeqCst);
            if self.board.done.load(Ordering::SeqCst) == done {
                std::thread::park_timeout(self.tick);
            }
            self.board.want.store(usize::MAX, Ordering::SeqCst);
            self.give_up_on_stuck();
            if self.workers.iter().all(|(w, _)| w.retired.load(Ordering::Acquire)) && self.next.load(Ordering::Acquire) < self.n {
                // Every worker is stuck and none could be replaced: give up on the rest.
                let _ = self.board.fill(i, Outcome::TimedOut(Duration::ZERO));
            }
        }
    }

    /// Mark the jobs over their budget as timed out, retire their workers and replace them.
    fn give_up_on_stuck(&mut self) {
        let mut stuck = 0;
        for (w, _) in self.workers.iter().filter(|(w, _)| !w.retired.load(Ordering::Acquire)) {
            let Some((i, since)) = w.current.lock().ok().and_then(|c| *c) else { continue };
            let ran = since.elapsed();
            if ran > self.budget && self.board.fill(i, Outcome::TimedOut(ran)) {
                w.retired.store(true, Ordering::Release);
                stuck += 1;
            }
        }
        for _ in 0..stuck {
            if self.next.load(Ordering::Acquire) < self.n {
                self.spawn();
            }
        }
    }
}

impl<T> Drop for Stream<T> {
    /// Wait for the workers that are not stuck: they end as soon as the queue is empty, and then
    /// no longer hold the job (nor what it captured, which the caller may want back).
    fn drop(&mut self) {
        // Jobs not taken are not run.
        self.next.store(self.n, Ordering::Release);
        for (w, h) in &mut self.workers {
            if !w.retired.load(Ordering::Acquire) {
                if let Some(h) = h.take() {
                    let _ = h.join();
                }
            }
        }
    }
}

/// Run `job(i)` for every `i` in `0..n` on up to `threads` workers; entry `i` of the result is
/// job `i`'s outcome.
pub fn run<T, F>(n: usize, threads: usize, budget: Duration, job: F) -> Vec<Outcome<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    let mut s = Stream::start(n, threads, budget, job);
    (0..n).map(|i| s.take(i)).collect()
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
    fn a_stream_hands_out_each_result_in_order_while_the_rest_run() {
        // More jobs than a batch, a slow one and a hung one among them: each is taken in turn,
        // the hung one as timed out, and the scan does not wait for it.
        let start = Instant::now();
        let mut s = Stream::start(300, 2, Duration::from_millis(200), |i| {
            if i == 120 {
                std::thread::sleep(Duration::from_millis(30));
            }
            if i == 210 {
                std::thread::sleep(Duration::from_secs(30));
            }
            i * 3
        });
        for i in 0..300 {
            match s.take(i) {
                Outcome::TimedOut(d) => assert!(i == 210 && d >= Duration::from_millis(200), "{i}: {d:?}"),
                Outcome::Done(v) => assert_eq!(v, i * 3),
                Outcome::Panicked => panic!("{i} panicked"),
            }
        }
        drop(s);
        assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
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
