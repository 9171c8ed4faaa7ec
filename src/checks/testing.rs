//! Test helpers: build a repository in a temporary directory and run one rule on a target.

use super::{rule, Ctx};
use crate::observe::Observation;

/// Write `files` into a temporary directory, scan it, and run rule `id` with `target`'s facts.
pub fn run(id: &str, target: &str, files: &[(&str, &str)]) -> Vec<Observation> {
    run_declared(id, target, files, &crate::config::NOTHING_DECLARED)
}

/// Write `files` (root-relative path, text) under `root`.
pub fn write_tree<'a>(root: &std::path::Path, files: impl IntoIterator<Item = (&'a str, &'a str)>) {
    for (rel, text) in files {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
    }
}

/// Like [`run`], with platform settings declared in deploy-audit.toml.
pub fn run_declared(id: &str, target: &str, files: &[(&str, &str)], declared: &crate::config::Declared) -> Vec<Observation> {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), files.iter().copied());
    let d = crate::discover::discover(dir.path(), &crate::discover::Limits::default()).expect("discover");
    let model = crate::model::Model::build(d);
    let pack = crate::packs::load(target).expect("pack");
    let r = rule(id).unwrap_or_else(|| panic!("no rule {id}"));
    let mut facts = pack.facts.clone();
    declared.apply(&mut facts);
    let ctx = Ctx {
        model: &model,
        facts: &facts,
        platform: &pack.platform,
        declared,
    };
    r.observe(&ctx)
}

/// Run on Koyeb, the foundation target.
pub fn koyeb(id: &str, files: &[(&str, &str)]) -> Vec<Observation> {
    run(id, "koyeb", files)
}

/// A minimal Next.js app shaped like the official with-docker example.
pub const NEXT_PKG: &str = r#"{
  "name": "web",
  "private": true,
  "scripts": { "dev": "next dev", "build": "next build", "start": "next start" },
  "dependencies": { "next": "15.1.0", "react": "19.0.0", "react-dom": "19.0.0" }
}
"#;

pub const STANDALONE_CONFIG: &str = "/** @type {import('next').NextConfig} */\nconst nextConfig = { output: 'standalone' };\nmodule.exports = nextConfig;\n";

pub const WITH_DOCKER: &str = r#"FROM node:20-alpine AS base

FROM base AS deps
RUN apk add --no-cache libc6-compat
WORKDIR /app
COPY package.json package-lock.json* ./
RUN npm ci

FROM base AS builder
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN npm run build

FROM base AS runner
WORKDIR /app
ENV NODE_ENV=production
RUN addgroup --system --gid 1001 nodejs
RUN adduser --system --uid 1001 nextjs
COPY --from=builder /app/public ./public
COPY --from=builder --chown=nextjs:nodejs /app/.next/standalone ./
COPY --from=builder --chown=nextjs:nodejs /app/.next/static ./.next/static
USER nextjs
EXPOSE 3000
ENV PORT=3000
ENV HOSTNAME="0.0.0.0"
CMD ["node", "server.js"]
"#;
