use crate::report::{Report, TargetReport};

/// The report as pretty-printed JSON (what [`pieces`] returns, joined).
pub fn render(report: &Report) -> String {
    // (serde_json writes UTF-8 only, and every piece added here is ASCII or from its output.)
    String::from_utf8(pieces(report, None).concat()).unwrap_or_else(|_| format!("{}\n", pretty(report)))
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// serde_json's pretty-printer (two spaces per level) for a value that sits `depth` levels deep:
/// a target's part is written straight into its buffer at its place in the report, its lines
/// already indented (the same bytes as `PrettyFormatter`, which always starts at the left margin).
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`: back one level, on a line of its own when something was written inside.
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const SPACES: &[u8; 64] = b"                                                                ";
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = 2 * self.depth;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Target `t` pretty-printed and indented for its place in the report's `targets` (two levels
/// deep; the check workers write each target's part as soon as it is evaluated, see
/// `engine::evaluate_all_with`).
pub fn part(t: &TargetReport) -> Vec<u8> {
    // About 1 KiB per finding, reserved, not touched.
    let mut out = Vec::with_capacity((16 << 10) + t.findings.len() * 1024);
    out.extend_from_slice(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Nested { depth: 2, has_value: false });
    if let Err(e) = serde::Serialize::serialize(t, &mut ser) {
        out.extend_from_slice(format!("{{\"error\": \"{e}\"}}").as_bytes());
    }
    out
}

/// The report's JSON text in pieces that, written one after the other, are byte for byte what
/// one pretty-printing pass writes: the report without its targets around the targets' parts.
/// `parts` are the targets' [`part`]s when they are written already (in target order); without
/// them they are written here, on a thread per core. The command writes the pieces as they are,
/// without joining them into one text.
pub fn pieces(report: &Report, parts: Option<Vec<Vec<u8>>>) -> Vec<Vec<u8>> {
    let n = report.targets.len();
    let parts = parts.filter(|p| p.len() == n);
    // The report with no target, then its empty `"targets": []` filled in.
    let head = pretty(&Report {
        targets: Vec::new(),
        tool: report.tool.clone(),
        root: report.root.clone(),
        apps: report.apps.clone(),
        version: report.version,
    });
    let at = head.rfind("\"targets\": []");
    let (Some(at), true) = (at, n > 0) else {
        return vec![format!("{}\n", pretty(report)).into_bytes()];
    };
    let parts = parts.unwrap_or_else(|| written(&report.targets));
    let mut out = Vec::with_capacity(2 * n + 1);
    let mut open = head.as_bytes()[..at].to_vec();
    open.extend_from_slice(b"\"targets\": [\n");
    out.push(open);
    for (k, p) in parts.into_iter().enumerate() {
        if k > 0 {
            out.push(b",\n".to_vec());
        }
        out.push(p);
    }
    out.push(format!("\n  ]{}\n", &head[at + "\"targets\": []".len()..]).into_bytes());
    out
}

/// Every target's part, written on as many threads as cores.
fn written(targets: &[TargetReport]) -> Vec<Vec<u8>> {
    let threads = crate::pool::cores().clamp(1, targets.len().max(1));
    if threads < 2 {
        return targets.iter().map(part).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<std::sync::OnceLock<Vec<u8>>> = targets.iter().map(|_| std::sync::OnceLock::new()).collect();
    crate::pool::together(threads - 1, &|| loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(t) = targets.get(i) else { return };
        let _ = parts[i].set(part(t));
    });
    // (Every part is written: `together` returns when every worker has found the queue empty.)
    parts.into_iter().map(|p| p.into_inner().unwrap_or_default()).collect()
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
        let one_pass = format!("{}\n", serde_json::to_string_pretty(&report).unwrap());
        assert_eq!(super::render(&report), one_pass);
        // The parts the check workers write, and a single target, come out the same.
        let parts = report.targets.iter().map(super::part).collect();
        assert_eq!(super::pieces(&report, Some(parts)).concat(), one_pass.as_bytes());
        let mut single = report.clone();
        single.targets.truncate(1);
        assert_eq!(super::render(&single), format!("{}\n", serde_json::to_string_pretty(&single).unwrap()));
        let mut none = report;
        none.targets.clear();
        assert_eq!(super::render(&none), format!("{}\n", serde_json::to_string_pretty(&none).unwrap()));
    }
}
