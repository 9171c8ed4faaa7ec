use crate::report::{Report, TargetReport};

/// The report as pretty-printed JSON. With several targets, each target's part is written on
/// its own thread and the parts are joined: the text is byte for byte what one pass writes
/// (JSON strings hold no raw newline, so a part is indented by prefixing its lines).
pub fn render(report: &Report) -> String {
    let mut s = if report.targets.len() < 2 { pretty(report) } else { joined(report) };
    s.push('\n');
    s
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn joined(report: &Report) -> String {
    let parts: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = report.targets.iter().map(|t| s.spawn(move || pretty::<TargetReport>(t))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
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
    let mut out = String::with_capacity(head.len() + parts.iter().map(|p| p.len() + p.len() / 16).sum::<usize>());
    out.push_str(&head[..at]);
    out.push_str("\"targets\": [\n");
    for (i, p) in parts.iter().enumerate() {
        out.push_str("    ");
        out.push_str(&p.replace('\n', "\n    "));
        out.push_str(if i + 1 < parts.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ]");
    out.push_str(&head[at + "\"targets\": []".len()..]);
    out
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
