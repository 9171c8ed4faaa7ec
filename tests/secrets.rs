//! Secrets never leave: fake secrets planted in every file kind the tool reads must not appear
//! (nor any 10-character piece of them) in any output format, on stderr, or in `audit explain`.
//! And `--output` writes the report atomically.

use clap::ValueEnum;
use deploy_audit::render::Format;
use std::path::Path;
use std::process::{Command, Output};

fn audit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run audit")
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Distinct random-looking values (fixed, so a failure is reproducible).
const SECRETS: &[&str] = &[
    "Qm7vT2xKp9LwR4nZ8cYb3HdF6sJ1gA0e", // 0 .env
    "Xr8NkP2mW5qL9tV3bC7zJ4hG6fD1sY0u", // 1 .env.production stripe
    "Hy6Lp3Vq9Tz2Mx8Kc5Rb1Nw7Gd4Fs0Ja", // 2 .env.production db password
    "Wk4Zc8Jn2Rv6Tq9Lm3Xb7Hp1Gy5Fd0Se", // 3 .env.example value
    "Pb9Gt3Yk7Lq1Vz5Mc8Rn2Xw6Hj4Fd0Ua", // 4 compose POSTGRES_PASSWORD
    "Nc2Hv8Tq4Kz6Lp9Rm1Xb3Gw7Jy5Fd0Si", // 5 compose JWT_SECRET
    "Dm5Rq8Wz1Kc4Tv7Lp2Xn9Hb3Gj6Fy0Sa", // 6 compose DATABASE_URL password
    "Jt3Xm7Kq1Vz9Lc5Rp2Nb8Gw4Hy6Fd0Se", // 7 Dockerfile ENV
    "Gz8Lk2Tq6Vm4Xc9Rp1Nb5Hw3Jy7Fd0Su", // 8 Dockerfile ARG
    "Rb4Mq9Tz2Kx7Lv5Cp8Nw1Gh3Jy6Fd0Sa", // 9 fly.toml [env]
    "Vt7Kq3Xz9Lm1Cr5Pb8Nw2Gh4Jy6Fd0Se", // 10 render.yaml envVars value
    "Lc1Tq8Xz4Km6Vr9Pb2Nw5Gh3Jy7Fd0Si", // 11 railway.json start command
    "Km9Xq2Tz6Lv4Cr8Pb1Nw3Gh5Jy7Fd0Sa", // 12 next.config env
    "Tz5Kq1Xm8Lv3Cr6Pb9Nw2Gh4Jy7Fd0Se", // 13 source fallback
    "Xq3Kz7Tm1Lv9Cr4Pb6Nw8Gh2Jy5Fd0Su", // 14 source Stripe key literal
    "Zm6Kq4Xt2Lv8Cr1Pb7Nw3Gh9Jy5Fd0Sa", // 15 package.json script
    "Cq8Kz2Xm6Lv4Tr9Pb1Nw5Gh3Jy7Fd0Se", // 16 prisma datasource url
    "Fk1Xq9Tz3Lm7Cv5Rb2Nw8Gh4Jy6Pd0Si", // 17 prisma.config url
    "Bt4Kq8Xz2Lm6Cv9Rp1Nw3Gh7Jy5Fd0Sa", // 18 Procfile
    "Mz7Kq3Xt9Lv1Cr5Pb8Nw2Gh4Jy6Fd0Se", // 19 nixpacks variables
    "Sk2Xq6Tz8Lm4Cv1Rb9Nw3Gh5Jy7Fd0Pa", // 20 compose build args
    "Yq5Kz1Xm7Lv3Tr8Pb4Nw6Gh2Jc9Fd0Se", // 21 entrypoint script
    "Ht9Kq5Xz3Lm1Cv7Rb2Nw8Gp4Jy6Fd0Sa", // 22 railway.toml
    "Eq6Kz4Xm2Lv8Tr1Pb9Nw5Gh3Jy7Fd0Sc", // 23 .env.local URL in a comment
    "Aw3Kq7Xz1Lm9Cv5Rb8Nt2Gh4Jy6Fd0Se", // 24 CI workflow env
];

fn plant(root: &Path) {
    let s = SECRETS;
    write(root, ".env", &format!("API_SECRET={}\n", s[0]));
    write(
        root,
        ".env.production",
        &format!(
            "STRIPE_SECRET_KEY=sk_live_{}\nDATABASE_URL=postgresql://admin:{}@db.example.com:5432/app?sslmode=require\n",
            s[1], s[2]
        ),
    );
    write(root, ".env.example", &format!("# session\nSESSION_SECRET={}\nDATABASE_URL=\n", s[3]));
    write(
        root,
        ".env.local",
        &format!("# old: REDIS_URL=redis://default:{}@cache.example.com:6379\nREDIS_URL=\n", s[23]),
    );
    write(
        root,
        "docker-compose.yml",
        &format!(
            "services:\n  web:\n    build:\n      context: .\n      args:\n        - NPM_TOKEN={}\n    environment:\n      - JWT_SECRET={}\n      DATABASE_URL_X: unused\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {}\n      DATABASE_URL: postgres://u:{}@db:5432/x\n    ports: ['5432:5432']\n",
            s[20], s[5], s[4], s[6]
        )
        .replace("      DATABASE_URL_X: unused\n", ""),
    );
    write(
        root,
        "Dockerfile",
        &format!(
            "FROM node:20\nARG NPM_TOKEN={}\nENV API_TOKEN={}\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nENTRYPOINT [\"./docker-entrypoint.sh\"]\nCMD [\"npm\",\"start\"]\n",
            s[8], s[7]
        ),
    );
    write(
        root,
        "docker-entrypoint.sh",
        &format!("#!/bin/sh\nexport DB_PASSWORD={}\nnpx prisma migrate deploy\nexec \"$@\"\n", s[21]),
    );
    write(
        root,
        "fly.toml",
        &format!(
            "app = \"a\"\n[env]\n  SECRET_KEY = \"{}\"\n  PORT = \"3000\"\n[http_service]\n  internal_port = 8080\n",
            s[9]
        ),
    );
    write(
        root,
        "render.yaml",
        &format!(
            "services:\n  - type: web\n    name: a\n    runtime: docker\n    envVars:\n      - key: AUTH_SECRET\n        value: {}\n",
            s[10]
        ),
    );
    write(
        root,
        "railway.json",
        &format!(
            "{{\"deploy\":{{\"startCommand\":\"TOKEN={} npm start\",\"healthcheckPath\":\"/nope\"}}}}",
            s[11]
        ),
    );
    write(root, "svc/railway.toml", &format!("[deploy]\nstartCommand = \"API_KEY={} node s.js\"\n", s[22]));
    write(
        root,
        ".github/workflows/deploy.yml",
        &format!(
            "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    env:\n      TOKEN: {}\n    steps:\n      - run: npx prisma db push --accept-data-loss\n",
            s[24]
        ),
    );
    write(
        root,
        "nixpacks.toml",
        &format!("[variables]\nTOKEN = \"{}\"\n[start]\ncmd = \"npm start\"\n", s[19]),
    );
    write(
        root,
        "Procfile",
        &format!("web: SECRET={} npm start\nrelease: npx prisma migrate deploy\n", s[18]),
    );
    write(
        root,
        "next.config.js",
        &format!(
            "module.exports = {{ env: {{ API_KEY: '{}' }}, images: {{ domains: ['localhost'] }} }};\n",
            s[12]
        ),
    );
    write(
        root,
        "package.json",
        &format!(
            "{{\"name\":\"a\",\"scripts\":{{\"build\":\"next build\",\"start\":\"API_KEY={} next start\"}},\"dependencies\":{{\"next\":\"latest\",\"@prisma/client\":\"6.0.0\"}}}}",
            s[15]
        ),
    );
    write(
        root,
        "prisma/schema.prisma",
        &format!(
            "generator client {{\n  provider = \"prisma-client-js\"\n}}\ndatasource db {{\n  provider = \"postgresql\"\n  url = \"postgresql://admin:{}@prod.example.com:5432/db\"\n}}\n",
            s[16]
        ),
    );
    write(
        root,
        "prisma.config.ts",
        &format!(
            "import {{ defineConfig }} from 'prisma/config';\nexport default defineConfig({{ schema: 'prisma/schema.prisma', datasource: {{ url: 'postgresql://root:{}@db.example.com/x' }} }});\n",
            s[17]
        ),
    );
    write(
        root,
        "app/api/pay/route.ts",
        &format!(
            "import Stripe from 'stripe';\nimport {{ writeFileSync }} from 'fs';\nconst key = process.env.STRIPE_KEY || '{}';\nconst stripe = new Stripe('sk_live_{}');\nexport async function POST() {{\n  writeFileSync('./uploads/x', key);\n  return new Response('ok');\n}}\n",
            s[13], s[14]
        ),
    );
}

/// Every 10-character piece of a secret that is seen in `text`.
fn leaks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in SECRETS {
        let b = s.as_bytes();
        for i in 0..=b.len() - 10 {
            let piece = &s[i..i + 10];
            if text.contains(piece) {
                out.push(format!("{piece} (of {s})"));
                break;
            }
        }
    }
    out
}

#[test]
fn planted_secrets_appear_in_no_output_format_nor_stderr_nor_explain() {
    let dir = tempfile::tempdir().unwrap();
    let root = &dir.path().join("repo");
    plant(root);
    // The detector sees the planted values where they are.
    assert!(!leaks(&std::fs::read_to_string(root.join("fly.toml")).unwrap()).is_empty());
    let mut rules = std::collections::BTreeSet::new();
    let formats: Vec<String> = Format::value_variants()
        .iter()
        .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
        .collect();
    assert!(formats.len() >= 3, "{formats:?}");
    for target in ["koyeb", "vps", "fly", "railway", "render", "coolify", "all"] {
        for format in &formats {
            let out = audit(root, &["scan", ".", "--target", target, "--format", format]);
            assert!(matches!(out.status.code(), Some(0 | 1)), "{target}/{format}: {out:?}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stdout.is_empty());
            let l = leaks(&stdout);
            assert!(l.is_empty(), "{target}/{format} output leaks {l:?}:\n{stdout}");
            let l = leaks(&stderr);
            assert!(l.is_empty(), "{target}/{format} stderr leaks {l:?}:\n{stderr}");
            if format == "json" {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                for t in v["targets"].as_array().unwrap() {
                    for f in t["findings"].as_array().unwrap() {
                        rules.insert(f["rule"].as_str().unwrap().to_string());
                    }
                }
            }
        }
    }
    // The tree is read: the secret-related rules fired, so the test looked where it matters.
    for r in ["committed-env-secret", "secrets-in-committed-config", "ephemeral-disk-write"] {
        assert!(rules.contains(r), "{r} did not fire: {rules:?}");
    }
    for r in &rules {
        let out = audit(root, &["explain", r]);
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(leaks(&text).is_empty(), "explain {r} leaks");
    }
    // `--output` files too.
    for format in &formats {
        let out = audit(root, &["scan", ".", "--target", "all", "--format", format, "--output", "../report.out"]);
        assert!(matches!(out.status.code(), Some(0 | 1)));
        let text = std::fs::read_to_string(dir.path().join("report.out")).unwrap();
        let _ = std::fs::remove_file(dir.path().join("report.out"));
        assert!(leaks(&text).is_empty(), "{format} --output leaks");
    }
}

#[test]
fn output_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    plant(&repo);
    let outdir = dir.path().join("out");
    std::fs::create_dir_all(&outdir).unwrap();
    let target = outdir.join("report.json");
    // An old, longer report is replaced whole, not overwritten in place.
    std::fs::write(&target, "x".repeat(1 << 20)).unwrap();
    let out = audit(
        &repo,
        &["scan", ".", "--target", "all", "--format", "json", "--output", target.to_str().unwrap()],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert!(out.stdout.is_empty(), "the report went to stdout too");
    let text = std::fs::read_to_string(&target).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).expect("complete JSON");
    assert_eq!(v["targets"].as_array().unwrap().len(), 6);
    let names: Vec<String> = std::fs::read_dir(&outdir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["report.json".to_string()], "temporary file left behind");

    // A report that cannot be written: exit 2, no partial or temporary file anywhere.
    let as_dir = outdir.join("is-a-dir");
    std::fs::create_dir_all(&as_dir).unwrap();
    let out = audit(&repo, &["scan", ".", "--target", "koyeb", "--output", as_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(as_dir.is_dir());
    let out = audit(
        &repo,
        &["scan", ".", "--target", "koyeb", "--output", outdir.join("missing/r.md").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let mut names: Vec<String> = std::fs::read_dir(&outdir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["is-a-dir".to_string(), "report.json".to_string()]);
    assert_eq!(std::fs::read_dir(&as_dir).unwrap().count(), 0);
}
