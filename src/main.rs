/// mimalloc: the scan allocates many small, short-lived objects on every core (paths, texts,
/// syntax trees, findings); glibc's allocator spent about a tenth of the scan's time in
/// `malloc`/`free` and in page faults of memory it had just given back (see `benches/scan.rs`).
/// Built without transparent huge pages (`no_thp`): with them the peak memory doubled, and where
/// memory is fragmented (a busy CI runner) each 2 MiB fault can stall on compaction.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(deploy_audit::cli::run());
}
