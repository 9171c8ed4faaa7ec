//! Parse files on worker threads, with a time budget per file that cannot hang the scan.
//!
//! Every parser is bounded (input size, nesting depth, alias expansion, step budgets), so the
//! budget is a last line of defence: a job still running after `budget` is abandoned. Its result
//! becomes [`Outcome::TimedOut`], the worker that runs it is retired (its thread goes back to the
//! helpers when the job ends, or ends with the process) and a fresh worker takes over the rest of
//! the queue, so the scan goes on. A job that panics becomes [`Outcome::Panicked`] instead of
//! taking the scan down. Every thread here has the parser's large stack (see
//! `parse::source::PARSE_STACK`).
//!
//! [`Stream`] hands the outcomes to the thread that started the jobs in order, as they come, so
//! it can use each one while the workers run the next; [`run`] collects them all.
//!
//! The workers are helper threads started once and parked between jobs ([`warm`]), not a thread
//! started at each stage that needs one (parse, checks, render): on this project's 2-core virtual
//! machine a thread started while the caller ran began 74 µs later (median of 40), but more than
//! 0.5 ms late in 6 of the 40, and 1.7 ms late (median) when the other core had been idle for a
//! few milliseconds; a parked thread woke in 5 to 50 µs (median). [`together`] runs a closure that
//! borrows from its caller on helpers and on the calling thread at once, [`join`] two closures.

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

/// The parse workers a large parse runs on (and the helpers the command starts for them).
pub fn workers() -> usize {
    cores().clamp(2, 8)
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
    /// Each worker, with the latch it opens when it has ended (and dropped the job).
    workers: Vec<(Arc<Worker>, Arc<Latch>)>,
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
        let ended = Arc::new(Latch::new(1));
        let (me, job, next, board, n, signal) = (w.clone(), self.job.clone(), self.next.clone(), self.board.clone(), self.n, ended.clone());
        let body = move || {
            // Opened last, when the worker has dropped the job and what it captured (the files
            // the supervisor takes back), also if something below panicked.
            let _ended = Open(signal);
            work(&me, job, &next, &board, n);
        };
        if dispatch(Box::new(body)).is_ok() {
            self.workers.push((w, ended));
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

/// A worker's loop: run the next job in the queue until it is empty or the worker is retired.
fn work<T>(me: &Worker, job: Job<T>, next: &AtomicUsize, board: &Board<T>, n: usize) {
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
}

impl<T> Drop for Stream<T> {
    /// Wait for the workers that are not stuck: they end as soon as the queue is empty, and then
    /// no longer hold the job (nor what it captured, which the caller may want back).
    fn drop(&mut self) {
        // Jobs not taken are not run.
        self.next.store(self.n, Ordering::Release);
        for (w, ended) in &self.workers {
            if !w.retired.load(Ordering::Acquire) {
                ended.wait();
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

// ----- Helper threads -----

/// Work handed to a helper thread.
type Task = Box<dyn FnOnce() + Send + 'static>;

/// The helpers waiting for work, each by the channel it takes its next task from.
static IDLE: Mutex<Vec<std::sync::mpsc::Sender<Task>>> = Mutex::new(Vec::new());

/// The most helpers kept waiting; one that ends a task when this many wait already exits.
const MAX_IDLE: usize = 8;

/// Have `n` helpers wait for work. One is started here; it starts the others, so the calling
/// thread pays for one thread start (the command calls this before the walk).
pub fn warm(n: usize) {
    let n = n.min(MAX_IDLE);
    if idle() >= n {
        return;
    }
    // (The starter counts itself: it waits for work again when this task ends.)
    let _ = dispatch(Box::new(move || {
        // (At most `n` starts, however many helpers other tasks take meanwhile.)
        for _ in 0..n {
            if idle() + 1 >= n {
                return;
            }
            match start_helper() {
                Some(tx) => match IDLE.lock() {
                    Ok(mut idle) => idle.push(tx),
                    Err(_) => return,
                },
                None => return,
            }
        }
    }));
}

/// How many helpers wait for work.
fn idle() -> usize {
    IDLE.lock().map_or(0, |idle| idle.len())
}

/// A new helper thread, with the parser's large stack, by the channel it takes tasks from;
/// `None` when no thread can be started.
fn start_helper() -> Option<std::sync::mpsc::Sender<Task>> {
    let (tx, rx) = std::sync::mpsc::channel::<Task>();
    let me = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("deploy-audit-worker".into())
        .stack_size(crate::parse::source::PARSE_STACK)
        .spawn(move || {
            crate::parse::source::mark_big_stack();
            while let Ok(task) = rx.recv() {
                // (A task catches its own panics; this keeps the helper if one did not.)
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
                match IDLE.lock() {
                    Ok(mut idle) if idle.len() < MAX_IDLE => idle.push(me.clone()),
                    _ => return,
                }
            }
        });
    spawned.ok().map(|_| tx)
}

/// Run `task` on a waiting helper, or on a new one when none waits; the task back when no
/// thread can be started.
fn dispatch(mut task: Task) -> Result<(), Task> {
    loop {
        let waiting = IDLE.lock().ok().and_then(|mut idle| idle.pop());
        let Some(tx) = waiting else { break };
        match tx.send(task) {
            Ok(()) => return Ok(()),
            // (That helper has exited: try the next.)
            Err(std::sync::mpsc::SendError(t)) => task = t,
        }
    }
    match start_helper() {
        Some(tx) => tx.send(task).map_err(|std::sync::mpsc::SendError(t)| t),
        None => Err(task),
    }
}

/// Run `work` on the calling thread and on `extra` helpers at once, and return when every one
/// of them has returned. A panic in any of them is resumed here, once all have returned. With
/// no helper to be had, the calling thread alone runs it.
pub fn together(extra: usize, work: &(dyn Fn() + Sync)) {
    let ((), panic) = lend(extra, work, work);
    if let Some(panic) = panic {
        std::panic::resume_unwind(panic);
    }
}

/// Run `a` on a helper while the calling thread runs `b`, and return both results once both
/// have returned (a panic in either is resumed here then). With no helper to be had, the caller
/// runs `a` after `b`.
pub fn join<RA: Send, RB>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB) -> (RA, RB) {
    let a = Mutex::new(Some(a));
    let got: Mutex<Option<std::thread::Result<RA>>> = Mutex::new(None);
    // Runs `a` the first time it is called, wherever that is (it keeps its own panic).
    let run_a = || {
        if let Some(a) = a.lock().ok().and_then(|mut a| a.take()) {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(a));
            if let Ok(mut got) = got.lock() {
                *got = Some(r);
            }
        }
    };
    let (rb, _) = lend(1, &run_a, b);
    // Not taken by a helper: run here.
    run_a();
    match got.into_inner().ok().flatten() {
        Some(Ok(ra)) => (ra, rb),
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => unreachable!("`a` ran above if no helper did"),
    }
}

/// Lend `work`, which borrows from the caller, to `extra` helpers while this thread runs
/// `caller`; `caller`'s result and the first panic of a helper, once every helper has returned
/// (also when `caller` panics). The one place a borrowed closure crosses to another thread.
fn lend<R>(extra: usize, work: &(dyn Fn() + Sync), caller: impl FnOnce() -> R) -> (R, Option<Box<dyn std::any::Any + Send>>) {
    if extra == 0 {
        return (caller(), None);
    }
    let latch = Arc::new(Latch::new(extra));
    // SAFETY: the helpers' use of `work` ends before this function returns: `_wait` waits for
    // every task sent (each opens the latch once `work` has returned or panicked, and a task not
    // sent opens it below, without running), also when `caller` panics.
    let shared: &'static (dyn Fn() + Sync) = unsafe { std::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(work) };
    let _wait = Wait(&latch);
    for k in 0..extra {
        let open = Open(latch.clone());
        let task: Task = Box::new(move || {
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(shared)) {
                open.0.keep_panic(panic);
            }
            drop(open);
        });
        if dispatch(task).is_err() {
            // (Dropping the task unsent opened the latch for it; the ones not made open it here.)
            for _ in k + 1..extra {
                latch.count_down();
            }
            break;
        }
    }
    let r = caller();
    drop(_wait);
    (r, latch.panic.lock().ok().and_then(|mut p| p.take()))
}

/// Opens when `left` reaches zero.
struct Latch {
    left: Mutex<usize>,
    opened: std::sync::Condvar,
    /// The first panic of a task that opened it.
    panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

impl Latch {
    fn new(n: usize) -> Latch {
        Latch {
            left: Mutex::new(n),
            opened: std::sync::Condvar::new(),
            panic: Mutex::new(None),
        }
    }

    fn count_down(&self) {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.opened.notify_all();
        }
    }

    fn wait(&self) {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        while *left > 0 {
            left = self.opened.wait(left).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn keep_panic(&self, panic: Box<dyn std::any::Any + Send>) {
        if let Ok(mut p) = self.panic.lock() {
            p.get_or_insert(panic);
        }
    }
}

/// Counts its latch down when dropped (the task it belongs to has ended, or was never sent).
struct Open(Arc<Latch>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.count_down();
    }
}

/// Waits for its latch when dropped.
struct Wait<'l>(&'l Latch);

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        self.0.wait();
    }
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

    /// How many times `together(extra, …)` ran its closure.
    fn runs(extra: usize) -> usize {
        let n = AtomicUsize::new(0);
        together(extra, &|| {
            n.fetch_add(1, Ordering::SeqCst);
        });
        n.into_inner()
    }

    #[test]
    fn together_runs_on_the_caller_and_the_helpers_at_once_with_borrowed_data() {
        warm(2);
        let seen: Mutex<Vec<std::thread::ThreadId>> = Mutex::new(Vec::new());
        let here = std::thread::current().id();
        // Each waits until all three have started, so they can only finish if they run at once.
        let started = AtomicUsize::new(0);
        together(2, &|| {
            seen.lock().unwrap().push(std::thread::current().id());
            started.fetch_add(1, Ordering::SeqCst);
            let t = Instant::now();
            while started.load(Ordering::SeqCst) < 3 {
                assert!(t.elapsed() < Duration::from_secs(20), "the three did not run at once");
                std::thread::yield_now();
            }
        });
        let mut ids = seen.into_inner().unwrap();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&here));
        ids.sort_by_key(|id| format!("{id:?}"));
        ids.dedup();
        assert_eq!(ids.len(), 3, "three different threads");
        // No helper: the caller alone.
        assert_eq!(runs(0), 1);
    }

    #[test]
    fn a_panic_in_together_is_resumed_once_every_worker_has_returned() {
        // On a helper: resumed on the caller.
        let finished = AtomicUsize::new(0);
        let here = std::thread::current().id();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            together(1, &|| {
                if std::thread::current().id() != here {
                    panic!("helper failed");
                }
                finished.fetch_add(1, Ordering::SeqCst);
            })
        }));
        let msg = r.expect_err("the helper's panic reaches the caller");
        assert_eq!(msg.downcast_ref::<&str>(), Some(&"helper failed"));
        assert_eq!(finished.load(Ordering::SeqCst), 1);
        // On the caller: the helpers still finish (they borrow the caller's data) before it unwinds.
        let slow_done = AtomicBool::new(false);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            together(1, &|| {
                if std::thread::current().id() == here {
                    panic!("caller failed");
                }
                std::thread::sleep(Duration::from_millis(50));
                slow_done.store(true, Ordering::SeqCst);
            })
        }));
        assert!(r.is_err());
        assert!(slow_done.load(Ordering::SeqCst), "the caller unwound before its helper returned");
        // The helpers survive a panic and take the next task.
        assert_eq!(runs(2), 3);
    }

    #[test]
    fn a_stream_gives_back_what_its_job_captured_when_dropped() {
        // The files the model takes back after the parse: the workers drop their clone of the
        // job before the stream's drop returns, helpers or not.
        warm(2);
        for _ in 0..20 {
            let data = Arc::new(vec![1u8; 64]);
            let shared = data.clone();
            let mut s = Stream::start(50, 2, FILE_BUDGET, move |i| shared[i % 64] as usize + i);
            for i in 0..50 {
                assert!(matches!(s.take(i), Outcome::Done(v) if v == i + 1));
            }
            drop(s);
            assert!(Arc::try_unwrap(data).is_ok(), "a worker still held the job");
        }
    }

    #[test]
    fn join_runs_one_side_on_a_helper_and_gives_both_results() {
        warm(2);
        let here = std::thread::current().id();
        let local: Vec<i32> = (1..=3).collect();
        let (a, b) = join(|| (local.iter().sum::<i32>(), std::thread::current().id()), || local.len());
        assert_eq!((a.0, b), (6, 3));
        assert_ne!(a.1, here, "`a` ran on a helper");
        // A panic on either side is resumed, after the other side has returned.
        let r = std::panic::catch_unwind(|| join(|| panic!("side a"), || 1));
        assert_eq!(r.expect_err("a's panic").downcast_ref::<&str>(), Some(&"side a"));
        let a_done = AtomicBool::new(false);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            join(
                || {
                    std::thread::sleep(Duration::from_millis(50));
                    a_done.store(true, Ordering::SeqCst);
                },
                || panic!("side b"),
            )
        }));
        assert!(r.is_err());
        assert!(a_done.load(Ordering::SeqCst), "b's panic unwound before a returned");
    }
}
