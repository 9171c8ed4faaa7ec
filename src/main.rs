/// mimalloc: the scan allocates many small, short-lived objects on every core (paths, texts,
/// syntax trees, findings); glibc's allocator spent about a tenth of the scan's time in
/// `malloc`/`free` and in page faults of memory it had just given back (see `benches/scan.rs`).
/// Built without transparent huge pages (`no_thp`): with them the peak memory doubled, and where
/// memory is fragmented (a busy CI runner) each 2 MiB fault can stall on compaction.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = deploy_audit::cli::run();
    // Whatever `print!` left in the buffer goes out before the process ends.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    end(code)
}

/// End the process at once. `exit` would first run the allocator's exit-time collection, which
/// walks and gives back every page the scan used (about 0.4 ms after a 10k-file scan, with the
/// other core's TLB flushed for each range) only for the system to take it all back anyway.
/// Nothing else is registered to run at exit: the output is flushed above and files are closed.
#[cfg(unix)]
fn end(code: i32) -> ! {
    // SAFETY: `_exit` ends the process; no Rust code runs after it.
    unsafe { libc::_exit(code) }
}

#[cfg(not(unix))]
fn end(code: i32) -> ! {
    std::process::exit(code)
}
