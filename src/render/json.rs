use crate::report::{Report, TargetReport};

/// The report as pretty-printed JSON. With several targets, the targets' parts are written on
/// a thread per core and joined: the text is byte for byte what one pass writes
/// (JSON strings hold no raw newline, so a part is indented by prefixing its lines).
pub fn render(report: &Report) -> String {
    let mut s = if report.targets.len() < 2 { pretty(report) } else { joined(report) };
    s.push('\n');
    s
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A writer that indents every line after the first by four spaces (a target's part sits two
/// levels deep in the report; JSON strings hold no raw newline, so every newline is the
/// pretty-printer's own).
struct Indented(Vec<u8>);

impl std::io::Write for Indented {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.0.extend_from_slice(&rest[..=i]);
            self.0.extend_from_slice(b"    ");
            rest = &rest[i + 1..];
        }
        self.0.extend_from_slice(rest);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Pretty-print target `t` into `w`, indented for its place in the report.
fn part(w: &mut Indented, t: &TargetReport) {
    w.0.extend_from_slice(b"    ");
    if let Err(e) = serde_json::to_writer_pretty(&mut *w, t) {
        w.0.extend_from_slice(format!("{{\"error\": \"{e}\"}}").as_bytes());
    }
}

fn joined(report: &Report) -> String {
    // The report with no target, then its empty `"targets": []` filled in.
    let head = pretty(&Report {
        targets: Vec::new(),
        tool: report.tool.clone(),
        root: report.root.clone(),
        apps: report.apps.clone(),
        version: report.version,
    });
    let Some(at) = head.rfind("\"targets\": []") else {
        return pretty(report);
    };
    let (before, after) = (&head[..at], &head[at + "\"targets\": []".len()..]);
    let n = report.targets.len();
    let head_len = head.len();
    // As many threads as cores, each writing a run of consecutive targets into one buffer: the
    // first run after the head, in a buffer sized for the whole report (about 1 KiB per
    // finding, reserved, not touched), so that only the later runs are copied into it.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, n);
    let per = n.div_ceil(threads);
    let estimate = |ts: &[TargetReport]| ts.iter().map(|t| (16 << 10) + t.findings.len() * 1024).sum::<usize>();
    let runs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = report
            .targets
            .chunks(per)
            .enumerate()
            .map(|(k, ts)| {
                s.spawn(move || {
                    let first = k == 0;
                    let cap = if first { head_len + estimate(&report.targets) } else { estimate(ts) };
                    let mut w = Indented(Vec::with_capacity(cap));
                    if first {
                        w.0.extend_from_slice(before.as_bytes());
                        w.0.extend_from_slice(b"\"targets\": [\n");
                    }
                    for (j, t) in ts.iter().enumerate() {
                        part(&mut w, t);
                        let last = k * per + j + 1 == n;
                        w.0.extend_from_slice(if last { b"\n" } else { b",\n" });
                    }
                    w.0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut runs = runs.into_iter();
    let mut out = runs.next().unwrap_or_default();
    for r in runs {
        out.extend_from_slice(&r);
    }
    out.extend_from_slice(b"  ]");
    out.extend_from_slice(after.as_bytes());
    // (serde_json writes UTF-8 only, and every piece added here is ASCII or from its output.)
    String::from_utf8(out).unwrap_or_else(|_| pretty(report))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_joined_text_is_what_one_pass_writes() {
        let dir = tempfile::tempdir().unwrap();
        crate::checks::testing::write_tree(
            dir.path(),
            [
                ("package.json", crate::checks::testing::NEXT_PKG),
                ("Dockerfile", "FROM node:20\nCOPY . .\nRUN npm ci\nCMD [\"npm\", \"start\"]\n"),
                (
                    "app/api/u/route.ts",
                    "import { writeFile } from 'fs/promises';\nexport async function POST() { await writeFile('./data/x', 'a\\nb\"c'); }\n",
                ),
            ],
        );
        let all: Vec<String> = crate::packs::target_ids().into_iter().map(String::from).collect();
        let report = crate::cli::scan(dir.path(), &all, &Default::default()).unwrap();
        assert!(report.targets.len() > 1 && report.targets.iter().any(|t| !t.findings.is_empty()));
        assert_eq!(super::render(&report), format!("{}\n", serde_json::to_string_pretty(&report).unwrap()));
    }
}
