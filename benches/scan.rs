//! Benchmark: a scan against the floor of walking the same tree with the same walker.
//!
//! `cargo bench --bench scan` (sizes 1k, 10k and 100k files; or `cargo bench --bench scan -- 5000
//! 20000`) generates monorepo trees of the given sizes in a temporary directory and reports,
//! measured in one run, the median of several runs of: the walk alone, the walk plus reading every
//! file (the floor), discovery, discovery plus the model, the scan for one target and for all
//! targets, and `audit scan --target all --format json` run as a user runs it (a fresh process,
//! the report rendered) beside the floor run as a fresh process too; the ratios to the floor; the
//! growth between sizes; and the peak memory of a `--target all` scan, measured in a fresh child
//! process (`/proc/self/status` VmHWM, Linux).
//!
//! The tree has a real app's density of findings (one upload route per app, the other routes
//! read the database); `-- --dense` makes every route write to the local disk, a stress case in
//! which the report dominates (about 2,000 findings per target at 10k files).

/// The allocator the `audit` binary uses (src/main.rs), so that the library's scans here and the
/// floor are measured as the command runs them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::{Duration, Instant};

const SOURCE: &str = r#"import path from 'path';
import { writeFile } from 'fs/promises';
import { prisma } from '@/lib/db';

const DIR = process.env.UPLOAD_DIR ?? path.join(process.cwd(), 'uploads');

export async function POST(req: Request) {
  const body = await req.json();
  const key = process.env.API_KEY;
  if (!key) return new Response('no key', { status: 500 });
  await writeFile(path.join(DIR, String(body.id)), JSON.stringify(body));
  const rows = await prisma.item.findMany({ where: { id: body.id } });
  return Response.json(rows);
}
"#;

/// A route handler that reads the database and the environment (parsed like the upload route,
/// and as clean as most of a real app's routes).
const READ_ROUTE: &str = r#"import { prisma } from '@/lib/db';

const LIMIT = Number(process.env.PAGE_SIZE ?? 50);

export async function GET(req: Request) {
  const url = new URL(req.url);
  const page = Number(url.searchParams.get('page') ?? 0);
  const rows = await prisma.item.findMany({ skip: page * LIMIT, take: LIMIT });
  return Response.json(rows);
}
"#;

const COMPONENT: &str = r#"'use client';
import { useState } from 'react';

export function Counter({ start }: { start: number }) {
  const [n, setN] = useState(start);
  return <button onClick={() => setN(n + 1)}>{n}</button>;
}
"#;

const DOCKERFILE: &str = "FROM node:20-alpine AS deps\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nFROM node:20-alpine AS builder\nWORKDIR /app\nCOPY --from=deps /app/node_modules ./node_modules\nCOPY . .\nRUN npm run build\nFROM node:20-alpine\nWORKDIR /app\nENV NODE_ENV=production HOSTNAME=0.0.0.0\nCOPY --from=builder /app/.next/standalone ./\nCOPY --from=builder /app/.next/static ./.next/static\nCOPY --from=builder /app/public ./public\nCMD [\"node\", \"server.js\"]\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

/// How many of an app's route handlers write to the local disk.
#[derive(Clone, Copy, PartialEq)]
enum Density {
    /// One upload route per app; the other routes read the database (a real app's shape: the
    /// 49 public repositories reviewed average a few findings per thousand files).
    Typical,
    /// Every route writes to the local disk: one file in five is a critical finding, so the
    /// report itself (about 2,000 findings per target at 10k files) dominates.
    Dense,
}

/// A monorepo of `files` files: apps with their deployment files, server routes, client
/// components, libraries, styles and docs.
fn generate(root: &Path, files: usize, density: Density) {
    let per_app = 100;
    let apps = (files / per_app).max(1);
    let mut n = 0;
    write(root, "package.json", "{\"name\":\"mono\",\"private\":true,\"workspaces\":[\"apps/*\"]}");
    // create-next-app's `.gitignore`, as every real repository has one (the scan matches each
    // source and env file against it).
    write(
        root,
        ".gitignore",
        "node_modules\n.next\n/out\n.env*.local\n*.log\n.vercel\n*.tsbuildinfo\nnext-env.d.ts\n",
    );
    write(
        root,
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n    volumes:\n      - pg:/var/lib/postgresql/data\nvolumes:\n  pg:\n",
    );
    n += 3;
    for a in 0..apps {
        let base = format!("apps/app{a}");
        write(root, &format!("{base}/package.json"), "{\"name\":\"a\",\"scripts\":{\"build\":\"next build\",\"start\":\"next start\"},\"dependencies\":{\"next\":\"^15.1.0\",\"@prisma/client\":\"^6.0.0\"},\"devDependencies\":{\"prisma\":\"^6.0.0\"}}\n");
        write(root, &format!("{base}/package-lock.json"), "{}");
        write(root, &format!("{base}/Dockerfile"), DOCKERFILE);
        write(
            root,
            &format!("{base}/next.config.mjs"),
            "export default { output: 'standalone', images: { remotePatterns: [{ hostname: 'cdn.example.com' }] } };\n",
        );
        write(
            root,
            &format!("{base}/.env.example"),
            "# database\nDATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/db?sslmode=require\nAPI_KEY=\nUPLOAD_DIR=\n",
        );
        write(root, &format!("{base}/prisma/schema.prisma"), "generator client {\n  provider = \"prisma-client-js\"\n}\ndatasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\nmodel Item {\n  id Int @id\n}\n");
        n += 6;
        let mut i = 0;
        while n < files && i < per_app - 6 {
            let text = match i % 5 {
                0 if i == 0 || density == Density::Dense => (format!("{base}/app/api/r{i}/route.ts"), SOURCE.to_string()),
                0 => (format!("{base}/app/api/r{i}/route.ts"), READ_ROUTE.to_string()),
                1 => (format!("{base}/components/c{i}.tsx"), COMPONENT.to_string()),
                2 => (
                    format!("{base}/lib/util{i}.ts"),
                    format!("export const v{i} = (x: number) => x * {i};\n").repeat(20),
                ),
                3 => (format!("{base}/styles/s{i}.css"), ".a { color: red; }\n".repeat(30)),
                _ => (format!("{base}/docs/d{i}.md"), "# Notes\n\nSome text.\n".repeat(20)),
            };
            write(root, &text.0, &text.1);
            n += 1;
            i += 1;
        }
        if n >= files {
            break;
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU time (user, system) this process has used, every thread and the children it waited for,
/// from `/proc/self/stat` (clock ticks of 10 ms); `None` off Linux.
fn cpu_time() -> Option<Cpu> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    // utime + cutime (the children waited for: the `audit` runs), stime + cstime.
    Some(Cpu {
        user: Duration::from_millis((ticks(11)? + ticks(13)?) * 10),
        sys: Duration::from_millis((ticks(12)? + ticks(14)?) * 10),
    })
}

/// User and system CPU time.
#[derive(Clone, Copy, Default)]
struct Cpu {
    user: Duration,
    sys: Duration,
}

impl Cpu {
    fn total(self) -> Duration {
        self.user + self.sys
    }
}

/// Run every job once to warm the page cache, then `runs` rounds in which each job runs once,
/// in turn; per job, the median wall time, the mean CPU time (of this process and its
/// children) per run, and the wall time of each round.
fn rounds(runs: usize, jobs: &mut [Box<dyn FnMut() + '_>]) -> Vec<(Duration, Option<Cpu>, Vec<Duration>)> {
    for j in jobs.iter_mut() {
        j();
    }
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); jobs.len()];
    let mut cpus: Vec<Option<Cpu>> = vec![Some(Cpu::default()); jobs.len()];
    for _ in 0..runs {
        for (i, j) in jobs.iter_mut().enumerate() {
            let cpu0 = cpu_time();
            let t = Instant::now();
            j();
            walls[i].push(t.elapsed());
            cpus[i] = match (cpus[i], cpu0, cpu_time()) {
                (Some(acc), Some(a), Some(b)) => Some(Cpu {
                    user: acc.user + b.user.saturating_sub(a.user),
                    sys: acc.sys + b.sys.saturating_sub(a.sys),
                }),
                _ => None,
            };
        }
    }
    walls
        .into_iter()
        .zip(cpus)
        .map(|(w, c)| {
            let per_run = c.map(|c| Cpu {
                user: c.user / runs as u32,
                sys: c.sys / runs as u32,
            });
            (median(w.clone()), per_run, w)
        })
        .collect()
}

fn walk_only(root: &Path) -> usize {
    let count = std::sync::atomic::AtomicUsize::new(0);
    deploy_audit::discover::walk(root, deploy_audit::discover::WALK_THREADS, (), || {
        let count = &count;
        move |listing: &deploy_audit::discover::Listing<'_>, _: &()| {
            count.fetch_add(listing.entries.len(), std::sync::atomic::Ordering::Relaxed);
        }
    });
    count.into_inner()
}

fn walk_and_read(root: &Path) -> usize {
    let bytes = std::sync::atomic::AtomicUsize::new(0);
    deploy_audit::discover::walk(root, deploy_audit::discover::WALK_THREADS, (), || {
        let bytes = &bytes;
        move |listing: &deploy_audit::discover::Listing<'_>, _: &()| {
            for e in listing.entries {
                if e.file_type.is_file() {
                    if let Ok(b) = std::fs::read(&e.path) {
                        bytes.fetch_add(b.len(), std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        }
    });
    bytes.into_inner()
}

/// Peak resident memory of this process (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Child mode: `scan --child-scan DIR TARGET...` runs one scan in this fresh process and prints
/// its peak memory, so the figure is the scan's alone.
fn child_scan(args: &[String]) {
    let dir = std::path::PathBuf::from(&args[0]);
    let targets: Vec<String> = args[1..].to_vec();
    let before = peak_rss_kib().unwrap_or(0);
    let report = deploy_audit::cli::scan(&dir, &targets, &Default::default()).expect("scan");
    let text = deploy_audit::render::render(&report, deploy_audit::render::Format::Json);
    std::hint::black_box(text);
    println!("{} {}", before, peak_rss_kib().unwrap_or(0));
}

/// Peak memory (MiB) of a scan run in a child process, and of the same process before scanning.
fn peak_memory(dir: &Path, targets: &[String]) -> Option<(f64, f64)> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe).arg("--child-scan").arg(dir).args(targets).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().filter_map(|w| w.parse::<f64>().ok());
    let (base, peak) = (it.next()?, it.next()?);
    Some((base / 1024.0, peak / 1024.0))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child-scan") {
        child_scan(&args[i + 1..]);
        return;
    }
    let density = if args.iter().any(|a| a == "--dense") {
        Density::Dense
    } else {
        Density::Typical
    };
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        // `--repeat PHASE DIR N`: run one phase N times (for a profiler): `floor`, `discover`,
        // `model` (discover and model), `analyze` (DIR is one JS/TS file or Dockerfile, analyzed N times),
        // `hints` (the hint pass over every file discovery read, timed alone) or `scan` (all targets).
        let (phase, dir) = (args[i + 1].as_str(), Path::new(&args[i + 2]));
        let n: usize = args.get(i + 3).and_then(|n| n.parse().ok()).unwrap_or(20);
        let all: Vec<String> = deploy_audit::packs::target_ids().into_iter().map(String::from).collect();
        if phase == "analyze" {
            let text = std::fs::read_to_string(dir).expect("a source file");
            let name = dir.to_string_lossy();
            // On one thread with the parser's stack, as the parse workers run it.
            let dockerfile = name.rsplit('/').next().is_some_and(|b| b.contains("Dockerfile"));
            let us = deploy_audit::parse::source::on_big_stack(|| {
                let t = Instant::now();
                for _ in 0..n {
                    if dockerfile {
                        std::hint::black_box(deploy_audit::parse::dockerfile::parse(&text));
                    } else {
                        std::hint::black_box(deploy_audit::parse::source::analyze_boxed(&text, &name));
                    }
                }
                t.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64
            });
            println!("{us:.2} us per analysis");
            return;
        }
        if phase == "hints" {
            let d = deploy_audit::discover::discover(dir, &Default::default()).unwrap();
            let t = Instant::now();
            for _ in 0..n {
                for f in &d.files {
                    std::hint::black_box(deploy_audit::hints::of(f.kind, &f.rel, f.text.as_deref()));
                }
            }
            println!("{:.3} ms per tree ({} files)", t.elapsed().as_secs_f64() * 1e3 / n as f64, d.files.len());
            return;
        }
        for _ in 0..n {
            match phase {
                "floor" => drop(std::hint::black_box(walk_and_read(dir))),
                "discover" => drop(std::hint::black_box(deploy_audit::discover::discover(dir, &Default::default()).unwrap())),
                "model" => drop(std::hint::black_box(deploy_audit::model::Model::build(
                    deploy_audit::discover::discover(dir, &Default::default()).unwrap(),
                ))),
                _ => drop(std::hint::black_box(deploy_audit::cli::scan(dir, &all, &Default::default()).unwrap())),
            }
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        // `--generate DIR FILES [--dense]`: write the tree only (for profiling the `audit` binary on it).
        let (dir, files) = (&args[i + 1], args.get(i + 2).and_then(|n| n.parse().ok()).unwrap_or(10_000));
        generate(Path::new(dir), files, density);
        return;
    }
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { sizes };
    let all: Vec<String> = deploy_audit::packs::target_ids().into_iter().map(String::from).collect();
    let one = vec!["koyeb".to_string()];
    println!(
        "{:>7} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>7} {:>14} {:>34}",
        "files",
        "walk",
        "walk+read",
        "discover",
        "+model",
        "scan(1)",
        "scan(all)",
        "floor-prg",
        "cli(all)",
        "1/floor",
        "all/fl",
        "cli/fl",
        "cli/f-prg",
        "all/1",
        "peak MiB",
        "CPU ms: floor/scan1/all/f-prg/cli"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cms = |c: Option<Cpu>| c.map(|c| format!("{:.0}", ms(c.total()))).unwrap_or_else(|| "?".into());
    let split = |c: Option<Cpu>| {
        c.map(|c| format!("user {:.0} + system {:.0} ms", ms(c.user), ms(c.sys)))
            .unwrap_or_else(|| "?".into())
    };
    let mut rows: Vec<(usize, f64, f64, f64, f64)> = Vec::new();
    let mut plans: Vec<(usize, deploy_audit::model::ParsePlan)> = Vec::new();
    let mut pairs: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut splits: Vec<(usize, String, String)> = Vec::new();
    for size in sizes {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), size, density);
        let runs = if size > 50_000 { 5 } else { 11 };
        // The measurements take turns within each round, so a busy moment on the machine falls
        // on all of them alike rather than on whichever ran then.
        let mut jobs: Vec<Box<dyn FnMut() + '_>> = vec![
            Box::new(|| {
                std::hint::black_box(walk_only(dir.path()));
            }),
            Box::new(|| {
                std::hint::black_box(walk_and_read(dir.path()));
            }),
            Box::new(|| {
                std::hint::black_box(deploy_audit::discover::discover(dir.path(), &Default::default()).unwrap());
            }),
            Box::new(|| {
                let d = deploy_audit::discover::discover(dir.path(), &Default::default()).unwrap();
                std::hint::black_box(deploy_audit::model::Model::build(d));
            }),
            Box::new(|| {
                std::hint::black_box(deploy_audit::cli::scan(dir.path(), &one, &Default::default()).unwrap());
            }),
            Box::new(|| {
                std::hint::black_box(deploy_audit::cli::scan(dir.path(), &all, &Default::default()).unwrap());
            }),
            Box::new(|| {
                // The floor as a program: this benchmark run again as a fresh process that walks
                // and reads the tree once (the fair baseline for the command line below, which
                // pays for starting a process too).
                let status = std::process::Command::new(std::env::current_exe().expect("exe"))
                    .args(["--repeat", "floor"])
                    .arg(dir.path())
                    .arg("1")
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("floor program");
                std::hint::black_box(status);
            }),
            Box::new(|| {
                // The command line as a user runs it: a fresh process, the report rendered.
                let status = std::process::Command::new(env!("CARGO_BIN_EXE_audit"))
                    .args(["scan", "--target", "all", "--format", "json"])
                    .arg(dir.path())
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("audit");
                std::hint::black_box(status);
            }),
        ];
        let timed = rounds(runs, &mut jobs);
        drop(jobs);
        let [(walk, _, _), (read, read_cpu, _), (disc, _, _), (model, _, _), (scan1, scan1_cpu, _), (scan_all, all_cpu, _), (floor_prog, floor_prog_cpu, ref floor_rounds), (cli, cli_cpu, ref cli_rounds)] =
            timed[..]
        else {
            unreachable!()
        };
        // The command and the floor program run one after the other in every round: the ratio
        // of each such pair, whose spread shows how much the machine moved during the run.
        let mut paired: Vec<f64> = cli_rounds.iter().zip(floor_rounds).map(|(c, f)| ms(*c) / ms(*f)).collect();
        paired.sort_by(f64::total_cmp);
        let mem = peak_memory(dir.path(), &all);
        let plan = deploy_audit::model::parse_plan(&deploy_audit::discover::discover(dir.path(), &Default::default()).unwrap());
        plans.push((size, plan));
        println!(
            "{:>7} {:>7.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>7.2}x {:>7.2}x {:>7.2}x {:>8.2}x {:>6.2}x {:>14} {:>34}",
            size,
            ms(walk),
            ms(read),
            ms(disc),
            ms(model),
            ms(scan1),
            ms(scan_all),
            ms(floor_prog),
            ms(cli),
            ms(scan1) / ms(read),
            ms(scan_all) / ms(read),
            ms(cli) / ms(read),
            ms(cli) / ms(floor_prog),
            ms(scan_all) / ms(scan1),
            mem.map(|(b, p)| format!("{p:.1} ({b:.1})")).unwrap_or_else(|| "n/a".into()),
            format!("{}/{}/{}/{}/{}", cms(read_cpu), cms(scan1_cpu), cms(all_cpu), cms(floor_prog_cpu), cms(cli_cpu))
        );
        rows.push((size, ms(read), ms(scan1), ms(scan_all), ms(cli)));
        pairs.push((size, paired));
        splits.push((size, split(floor_prog_cpu), split(cli_cpu)));
    }
    for (size, p) in &pairs {
        println!(
            "cli/f-prg {:>6} files, per round (the two run back to back): min {:.2}x, median {:.2}x, max {:.2}x over {} rounds",
            size,
            p[0],
            p[p.len() / 2],
            p[p.len() - 1],
            p.len()
        );
    }
    // The floor program is mostly system time (the kernel's directory and file reads) and the
    // scan adds user time: when the kernel's share gets faster or slower, the ratio moves.
    for (size, floor, cli) in &splits {
        println!("cpu split {size:>6} files, per run: floor-prg {floor}; cli {cli}");
    }
    // Growth: time ratio between consecutive sizes against the file ratio (1.00 = linear).
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let files = b.0 as f64 / a.0 as f64;
        println!(
            "growth {:>6} -> {:>6} files (x{:.0}): floor x{:.2}, scan(1) x{:.2}, scan(all) x{:.2}, cli(all) x{:.2}  (per file, of linear: scan(all) {:.2}, cli(all) {:.2})",
            a.0,
            b.0,
            files,
            b.1 / a.1,
            b.2 / a.2,
            b.3 / a.3,
            b.4 / a.4,
            (b.3 / a.3) / files,
            (b.4 / a.4) / files
        );
    }
    for (size, p) in &plans {
        println!(
            "parsed {:>6} files: {} paths seen, {} files read; JS/TS sources {}: {} parsed, {} skipped by the prefilter, {} tests skipped; {} other files parsed",
            size, p.seen, p.read, p.sources, p.sources_parsed, p.sources_prefiltered, p.sources_tests, p.configs_parsed
        );
    }
    println!("floor = walk+read with the scan's own walker; scan = the library's scan (no rendering); cli = `audit scan --target all --format json`");
    println!("in a fresh process, output to /dev/null; floor-prg = the floor as a fresh process (this benchmark, `--repeat floor DIR 1`), the baseline");
    println!("for cli, which starts a process too; times are medians of wall time over rounds in which every measurement takes its turn;");
    println!("CPU ms = user+system time per run");
    println!("(all threads, 10 ms ticks); peak MiB = scan --target all in a fresh process (its baseline before the scan in parentheses)");
}
