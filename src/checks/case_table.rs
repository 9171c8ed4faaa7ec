//! The cases behind `cases::every_pack_rule_has_a_failing_and_a_passing_case`: the bundled
//! fixtures, and small repositories that each prove a rule fires or stays silent (near misses).

use super::cases::{Case, Repo};
use super::testing::{NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

fn files(list: &[(&'static str, &str)]) -> Repo {
    Repo::Files(list.iter().map(|(p, t)| (*p, t.to_string())).collect())
}

const PRISMA_PKG: &str = "{\"scripts\":{\"start\":\"next start\",\"build\":\"next build\"},\"dependencies\":{\"next\":\"15.0.0\",\"@prisma/client\":\"6.0.0\"},\"devDependencies\":{\"prisma\":\"6.0.0\"}}";
const ROUTE: &str = "export function GET() { return Response.json({ ok: true }) }\n";
const PAGE: &str = "export default function P() { return null }\n";

/// Every rule the clean with-docker fixture must keep silent on every target.
const CLEAN_SILENT: &[&str] = &[
    "ephemeral-disk-write",
    "in-app-db-backup",
    "unpinned-framework",
    "node-version-unpinned",
    "standalone-not-enabled",
    "standalone-recommended",
    "standalone-next-start",
    "standalone-missing-static",
    "standalone-missing-public",
    "port-not-read",
    "bind-localhost",
    "standalone-hostname",
    "images-localhost-only",
    "images-domains-deprecated",
    "migrate-at-start",
    "db-push-accept-data-loss",
    "db-push-in-prod",
    "migrate-dev-in-prod",
    "seed-on-start",
    "default-admin-credentials",
    "migrations-not-run",
    "prisma-binary-target",
    "prisma-output-absolute",
    "prisma-output-not-copied",
    "prisma-cli-missing",
    "npm-ci-no-lockfile",
    "copy-source-missing",
    "healthcheck-tool-missing",
    "build-runs-migrations",
    "db-ssl-missing",
    "db-ssl-unspecified",
    "env-undocumented",
    "committed-env-secret",
    "no-health-route",
    "long-lived-responses",
    "in-memory-state",
    "compose-db-no-volume",
    "compose-db-port-public",
    "compose-depends-unhealthy",
    "compose-no-restart",
    "fly-internal-port",
    "fly-env-prefix",
    "fly-volume-strategy",
    "fly-vm-memory",
    "railway-config-deprecated",
    "railway-config-unknown-key",
    "healthcheck-path-no-route",
    "render-free-plan",
    "render-deprecated-keys",
    "render-envgroup-invalid",
    "secrets-in-committed-config",
    "parse-error",
    "file-skipped",
    "dangling-symlink",
];

pub fn cases() -> Vec<Case> {
    let mut v = vec![
        // ---- bundled fixtures ----
        Case {
            name: "clean-nextjs",
            repo: Repo::Fixture("clean-nextjs"),
            fires: &[],
            silent: CLEAN_SILENT,
            targets: &[],
        },
        Case {
            name: "seed000",
            repo: Repo::Fixture("seed000-koyeb-pos"),
            fires: &[
                "in-app-db-backup",
                "unpinned-framework",
                "engines-node-missing",
                "standalone-recommended",
                "images-localhost-only",
                "images-domains-deprecated",
                "migrations-not-run",
                "db-ssl-unspecified",
                "env-undocumented",
                "long-lived-responses",
            ],
            silent: &["prisma-binary-target", "no-health-route", "standalone-not-enabled"],
            targets: &[],
        },
        Case {
            name: "seed000 uploads",
            repo: Repo::Fixture("seed000-koyeb-pos"),
            fires: &["ephemeral-disk-write"],
            silent: &[],
            targets: &["koyeb", "coolify", "fly", "railway", "render"],
        },
        Case {
            name: "seed004 uploads under the compose volume",
            repo: Repo::Fixture("seed004-coolify-vps"),
            fires: &[],
            silent: &["ephemeral-disk-write"],
            targets: &["vps"],
        },
        Case {
            name: "uploads in a compose app without a volume",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("next.config.js", STANDALONE_CONFIG),
                ("docker-compose.yml", "services:\n  web:\n    build: .\n    restart: unless-stopped\n    ports:\n      - \"3000:3000\"\n"),
                (
                    "app/api/upload/route.ts",
                    "import { writeFile } from 'fs/promises';\nimport path from 'path';\nexport async function POST(req: Request) {\n  const data = Buffer.from(await req.arrayBuffer());\n  await writeFile(path.join(process.cwd(), 'uploads', 'f.bin'), data);\n  return Response.json({ ok: true });\n}\n",
                ),
            ]),
            fires: &["ephemeral-disk-write"],
            silent: &[],
            targets: &["vps"],
        },
        Case {
            name: "seed001",
            repo: Repo::Fixture("seed001-coolify-monorepo"),
            fires: &["healthcheck-tool-missing", "in-memory-state", "migrate-at-start"],
            silent: &["copy-source-missing"],
            targets: &[],
        },
        Case {
            name: "seed002",
            repo: Repo::Fixture("seed002-vps-crm"),
            fires: &[
                "compose-db-no-volume",
                "compose-db-port-public",
                "compose-depends-unhealthy",
                "compose-no-restart",
                "compose-no-healthcheck",
                "migrate-at-start",
            ],
            silent: &["prisma-cli-missing", "standalone-missing-static", "standalone-hostname"],
            targets: &[],
        },
        Case {
            name: "seed003",
            repo: Repo::Fixture("seed003-paas-drizzle"),
            fires: &[
                "build-runs-migrations",
                "fly-internal-port",
                "fly-vm-memory",
                "railway-config-deprecated",
                "railway-config-unknown-key",
                "render-free-plan",
                "secrets-in-committed-config",
            ],
            silent: &["render-deprecated-keys", "render-envgroup-invalid", "fly-env-prefix", "fly-volume-strategy"],
            targets: &[],
        },
        Case {
            name: "seed003 fly health path",
            repo: Repo::Fixture("seed003-paas-drizzle"),
            fires: &["healthcheck-path-no-route", "dockerfile-env-port"],
            silent: &[],
            targets: &["fly"],
        },
        Case {
            name: "seed004",
            repo: Repo::Fixture("seed004-coolify-vps"),
            fires: &[
                "db-push-accept-data-loss",
                "seed-on-start",
                "default-admin-credentials",
                "prisma-output-absolute",
                "compose-db-no-volume",
                "compose-db-port-public",
            ],
            silent: &["standalone-not-enabled", "healthcheck-tool-missing", "compose-no-restart", "compose-no-healthcheck"],
            targets: &[],
        },
        Case {
            name: "seed004 uploads without a volume",
            repo: Repo::Fixture("seed004-coolify-vps"),
            fires: &["ephemeral-disk-write"],
            silent: &[],
            targets: &["koyeb", "coolify", "fly", "railway", "render"],
        },
        Case {
            name: "broken files",
            repo: Repo::Fixture("broken-files"),
            fires: &["parse-error", "npm-ci-no-lockfile", "no-health-route"],
            silent: &[],
            targets: &[],
        },
        // ---- Node version and engines ----
        Case {
            name: "buildpack app without a Node version",
            repo: files(&[("package.json", NEXT_PKG)]),
            fires: &["node-version-unpinned"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "buildpack app with .nvmrc and engines",
            repo: files(&[
                (
                    "package.json",
                    "{\"scripts\":{\"start\":\"next start\"},\"engines\":{\"node\":\">=20.9\"},\"dependencies\":{\"next\":\"15.1.0\"}}",
                ),
                (".nvmrc", "20\n"),
            ]),
            fires: &[],
            silent: &["node-version-unpinned", "engines-node-missing"],
            targets: &[],
        },
        // ---- standalone output ----
        Case {
            name: "standalone copied without output: standalone",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("next.config.js", "module.exports = { reactStrictMode: true };\n"),
            ]),
            fires: &["standalone-not-enabled"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "standalone with next start",
            repo: files(&[("package.json", NEXT_PKG), ("next.config.js", STANDALONE_CONFIG)]),
            fires: &["standalone-next-start"],
            silent: &["standalone-not-enabled"],
            targets: &[],
        },
        Case {
            name: "standalone runner missing static, public and HOSTNAME",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("public/favicon.svg", "<svg/>"),
                (
                    "Dockerfile",
                    &WITH_DOCKER
                        .replace("COPY --from=builder --chown=nextjs:nodejs /app/.next/static ./.next/static\n", "")
                        .replace("COPY --from=builder /app/public ./public\n", "")
                        .replace("ENV HOSTNAME=\"0.0.0.0\"\n", ""),
                ),
            ]),
            fires: &["standalone-missing-static", "standalone-missing-public", "standalone-hostname"],
            silent: &["standalone-next-start", "standalone-not-enabled"],
            targets: &[],
        },
        // ---- ports and hosts ----
        Case {
            name: "express on a literal port bound to loopback",
            repo: files(&[
                ("package.json", "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}"),
                ("server.js", "const app = require('express')();\napp.listen(3000, '127.0.0.1');\n"),
            ]),
            fires: &["port-not-read", "bind-localhost"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "express reading PORT on all interfaces",
            repo: files(&[
                ("package.json", "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}"),
                ("server.js", "const app = require('express')();\napp.listen(process.env.PORT || 3000, '0.0.0.0');\n"),
            ]),
            fires: &[],
            silent: &["port-not-read", "bind-localhost", "dockerfile-env-port"],
            targets: &[],
        },
        Case {
            name: "image sets PORT=8080",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", &WITH_DOCKER.replace("ENV PORT=3000", "ENV PORT=8081")),
            ]),
            fires: &["dockerfile-env-port"],
            silent: &[],
            targets: &["koyeb", "coolify", "fly", "render"],
        },
        // ---- Prisma ----
        Case {
            name: "prisma: debian build, alpine runner, no binaryTargets",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20 AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npx prisma generate && npm run build\nFROM node:20-alpine AS runner\nWORKDIR /app\nCOPY --from=builder /app ./\nCMD [\"npm\", \"start\"]\n",
                ),
                ("prisma/schema.prisma", "generator client {\n  provider = \"prisma-client-js\"\n}\n"),
            ]),
            fires: &["prisma-binary-target"],
            silent: &["prisma-output-not-copied", "prisma-output-absolute"],
            targets: &[],
        },
        Case {
            name: "prisma: custom output not copied into the runner",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/node_modules ./node_modules\nCOPY --from=builder /app/.next ./.next\nCOPY --from=builder /app/package.json ./\nCMD [\"npm\",\"start\"]\n",
                ),
                (
                    "prisma/schema.prisma",
                    "generator client {\n  provider = \"prisma-client-js\"\n  output = \"../src/generated/prisma\"\n}\n",
                ),
            ]),
            fires: &["prisma-output-not-copied"],
            silent: &["prisma-binary-target"],
            targets: &[],
        },
        Case {
            name: "prisma: standalone runner runs migrate without the CLI",
            repo: files(&[
                ("package.json", PRISMA_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/.next/standalone ./\nCOPY --from=builder /app/.next/static ./.next/static\nCMD npx prisma migrate deploy && node server.js\n",
                ),
            ]),
            fires: &["prisma-cli-missing"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "prisma: CLI installed in the runner",
            repo: files(&[
                ("package.json", PRISMA_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/.next/standalone ./\nCOPY --from=builder /app/.next/static ./.next/static\nRUN npm install prisma@6.0.0\nCMD npx prisma migrate deploy && node server.js\n",
                ),
            ]),
            fires: &[],
            silent: &["prisma-cli-missing"],
            targets: &[],
        },
        Case {
            name: "db push and migrate dev at start",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", "FROM node:20-alpine\nCOPY . .\nCMD npx prisma db push && npx prisma migrate dev && node server.js\n"),
            ]),
            fires: &["db-push-in-prod", "migrate-dev-in-prod"],
            silent: &["db-push-accept-data-loss"],
            targets: &[],
        },
        Case {
            name: "migrate deploy at start, migrate dev only in a dev script",
            repo: files(&[
                ("package.json", &NEXT_PKG.replace("\"dev\": \"next dev\"", "\"dev\": \"next dev\", \"db:migrate\": \"prisma migrate dev\"")),
                ("Dockerfile", "FROM node:20-alpine\nCOPY . .\nCMD npx prisma migrate deploy && node server.js\n"),
            ]),
            fires: &[],
            silent: &["db-push-in-prod", "migrate-dev-in-prod"],
            targets: &[],
        },
        // ---- Docker build context ----
        Case {
            name: "COPY of a file that is not in the context",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json ./\nCOPY scripts/start.sh ./\nCOPY prisma ./prisma\nCMD [\"npm\",\"start\"]\n",
                ),
                ("prisma/schema.prisma", ""),
            ]),
            fires: &["copy-source-missing"],
            silent: &[],
            targets: &[],
        },
        // ---- database URLs and secrets ----
        Case {
            name: "Neon URL without sslmode",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (".env.example", "# db\nDATABASE_URL=postgresql://app:secretpw@ep-x-1.eu-central-1.aws.neon.tech/app\n"),
            ]),
            fires: &["db-ssl-missing"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "Neon URL with sslmode, local URL",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    ".env.example",
                    "DATABASE_URL=postgresql://app:pw@ep-x.neon.tech/app?sslmode=require\nLOCAL_URL=postgresql://u:p@localhost:5432/app\n",
                ),
            ]),
            fires: &[],
            silent: &["db-ssl-missing"],
            targets: &[],
        },
        Case {
            name: "live key in a committed env file",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (".env.production", "NODE_ENV=production\nSTRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n"),
            ]),
            fires: &["committed-env-secret"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "placeholders and local URLs in a committed env file",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (".env", "JWT_SECRET=changeme\nDATABASE_URL=postgresql://postgres:postgres@localhost:5432/app\n"),
            ]),
            fires: &[],
            silent: &["committed-env-secret"],
            targets: &[],
        },
        // ---- Fly.io ----
        Case {
            name: "fly.toml with FLY_ env and bluegreen with mounts",
            repo: files(&[(
                "fly.toml",
                "app = \"a\"\n[env]\n  FLY_REGION = \"fra\"\n[[mounts]]\n  source = \"d\"\n  destination = \"/data\"\n[deploy]\n  strategy = \"bluegreen\"\n",
            )]),
            fires: &["fly-env-prefix", "fly-volume-strategy"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "a sound fly.toml",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", WITH_DOCKER),
                ("package-lock.json", "{}"),
                ("app/page.tsx", PAGE),
                ("app/api/health/route.ts", ROUTE),
                (
                    "fly.toml",
                    "app = \"a\"\n[env]\n  NODE_ENV = \"production\"\n[[mounts]]\n  source = \"d\"\n  destination = \"/data\"\n[deploy]\n  strategy = \"rolling\"\n[http_service]\n  internal_port = 3000\n  [[http_service.checks]]\n    path = \"/api/health\"\n[[vm]]\n  memory = \"1gb\"\n",
                ),
            ]),
            fires: &[],
            silent: &["fly-env-prefix", "fly-volume-strategy", "fly-internal-port", "fly-vm-memory", "healthcheck-path-no-route"],
            targets: &[],
        },
        // ---- health check paths ----
        Case {
            name: "railway and render health paths without a route",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("app/api/health/route.ts", ROUTE),
                ("app/page.tsx", PAGE),
                ("railway.json", "{\"deploy\": {\"healthcheckPath\": \"/health\"}}"),
                ("render.yaml", "services:\n  - type: web\n    name: a\n    runtime: node\n    healthCheckPath: /healthz\n"),
            ]),
            fires: &["healthcheck-path-no-route"],
            silent: &["railway-config-unknown-key", "render-deprecated-keys"],
            targets: &["railway", "render"],
        },
        Case {
            name: "railway and render health paths on a route",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("app/api/health/route.ts", ROUTE),
                ("app/page.tsx", PAGE),
                ("railway.json", "{\"deploy\": {\"healthcheckPath\": \"/api/health\"}}"),
                ("render.yaml", "services:\n  - type: web\n    name: a\n    runtime: node\n    healthCheckPath: /api/health\n"),
            ]),
            fires: &[],
            silent: &["healthcheck-path-no-route"],
            targets: &["railway", "render"],
        },
        // ---- Render ----
        Case {
            name: "render.yaml with env: and an env group using sync: false",
            repo: files(&[(
                "render.yaml",
                "services:\n  - type: web\n    name: a\n    env: node\nenvVarGroups:\n  - name: shared\n    envVars:\n      - key: API_KEY\n        sync: false\n",
            )]),
            fires: &["render-deprecated-keys", "render-envgroup-invalid"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "render.yaml with runtime and literal group values",
            repo: files(&[(
                "render.yaml",
                "services:\n  - type: web\n    name: a\n    runtime: node\n    plan: starter\nenvVarGroups:\n  - name: shared\n    envVars:\n      - key: LOG_LEVEL\n        value: info\n",
            )]),
            fires: &[],
            silent: &["render-deprecated-keys", "render-envgroup-invalid", "render-free-plan"],
            targets: &[],
        },
        // ---- unreadable files ----
        Case {
            name: "a binary source file and a dangling lockfile link",
            repo: Repo::Setup(|root| {
                std::fs::write(root.join("package.json"), NEXT_PKG).expect("write");
                std::fs::create_dir_all(root.join("lib")).expect("mkdir");
                std::fs::write(root.join("lib/a.ts"), "\u{0}\u{1}").expect("write");
                #[cfg(unix)]
                std::os::unix::fs::symlink(root.join("nowhere"), root.join("yarn.lock")).expect("symlink");
            }),
            fires: &["file-skipped", "dangling-symlink"],
            silent: &[],
            targets: &[],
        },
    ];
    v.extend(more_cases());
    v
}

/// Cases for rules added after the first catalogue.
fn more_cases() -> Vec<Case> {
    vec![
        Case {
            name: "bash entrypoint on alpine without bash",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCOPY docker-entrypoint.sh /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n",
                ),
                ("docker-entrypoint.sh", "#!/bin/bash\nset -e\nexec node server.js\n"),
            ]),
            fires: &["entrypoint-shell-missing"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "bash entrypoint on alpine with bash installed",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\nRUN apk add --no-cache bash\nWORKDIR /app\nCOPY . .\nCOPY docker-entrypoint.sh /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n",
                ),
                ("docker-entrypoint.sh", "#!/bin/bash\nset -e\nexec node server.js\n"),
            ]),
            fires: &[],
            silent: &["entrypoint-shell-missing"],
            targets: &[],
        },
        Case {
            name: "compose stack: secret defaults, no backup, Coolify one-shot and magic variable",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                (
                    "docker-compose.yml",
                    "services:\n  migrate:\n    build: .\n    command: npx prisma migrate deploy\n  app:\n    build: .\n    restart: unless-stopped\n    environment:\n      DATABASE_URL: postgresql://app:${SERVICE_PASSWORD_DB_PASSWORD}@db:5432/app\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n  db:\n    image: postgres:16\n    restart: unless-stopped\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n    volumes:\n      - pgdata:/var/lib/postgresql/data\nvolumes:\n  pgdata:\n",
                ),
            ]),
            fires: &["compose-secret-default", "compose-db-no-backup", "coolify-oneshot-no-exclude", "coolify-magic-var-id"],
            silent: &["compose-db-no-volume"],
            targets: &[],
        },
        Case {
            name: "compose stack done right",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("scripts/backup.sh", "#!/bin/sh\ndocker compose exec -T db pg_dump -U app app | gzip > /backups/app.sql.gz\n"),
                (
                    "docker-compose.yml",
                    "services:\n  migrate:\n    build: .\n    command: npx prisma migrate deploy\n    exclude_from_hc: true\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile\n    restart: unless-stopped\n    environment:\n      DATABASE_URL: postgresql://app:${SERVICE_PASSWORD_POSTGRES}@db:5432/app\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n  db:\n    image: postgres:16\n    restart: unless-stopped\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}\n    volumes:\n      - pgdata:/var/lib/postgresql/data\nvolumes:\n  pgdata:\n",
                ),
            ]),
            fires: &[],
            silent: &["compose-secret-default", "compose-db-no-backup", "coolify-oneshot-no-exclude", "coolify-magic-var-id", "dockerfile-path-missing"],
            targets: &[],
        },
        Case {
            name: "compose names a missing Dockerfile",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("docker-compose.yml", "services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/web.Dockerfile\n    restart: unless-stopped\n"),
            ]),
            fires: &["dockerfile-path-missing"],
            silent: &[],
            targets: &["coolify", "vps"],
        },
        Case {
            name: "fly, railway and render name missing Dockerfiles",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("fly.toml", "app = \"a\"\n[build]\n  dockerfile = \"Dockerfile.fly\"\n"),
                ("railway.json", "{\"build\": {\"builder\": \"DOCKERFILE\", \"dockerfilePath\": \"docker/Dockerfile.prod\"}}"),
                ("render.yaml", "services:\n  - type: web\n    name: web\n    runtime: docker\n    dockerfilePath: ./docker/Dockerfile\n"),
            ]),
            fires: &["dockerfile-path-missing"],
            silent: &[],
            targets: &["fly", "railway", "render"],
        },
        Case {
            name: "fly, railway and render name existing Dockerfiles",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("docker/Dockerfile.prod", WITH_DOCKER),
                ("fly.toml", "app = \"a\"\n[build]\n  dockerfile = \"docker/Dockerfile.prod\"\n"),
                ("railway.json", "{\"build\": {\"builder\": \"DOCKERFILE\", \"dockerfilePath\": \"docker/Dockerfile.prod\"}}"),
                ("render.yaml", "services:\n  - type: web\n    name: web\n    runtime: docker\n    plan: starter\n    dockerfilePath: ./docker/Dockerfile.prod\n"),
            ]),
            fires: &[],
            silent: &["dockerfile-path-missing", "dockerfile-not-detected"],
            targets: &["fly", "railway", "render"],
        },
        Case {
            name: "Dockerfile under another name",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("docker/Dockerfile.prod", WITH_DOCKER),
                ("fly.toml", "app = \"a\"\n[http_service]\n  internal_port = 3000\n"),
                ("render.yaml", "services:\n  - type: web\n    name: web\n    runtime: docker\n    plan: starter\n"),
            ]),
            fires: &["dockerfile-not-detected"],
            silent: &[],
            targets: &["koyeb", "coolify", "fly", "railway", "render"],
        },
        Case {
            name: "Dockerfile at the root",
            repo: Repo::Fixture("clean-nextjs"),
            fires: &[],
            silent: &["dockerfile-not-detected", "dockerfile-path-missing", "entrypoint-shell-missing", "release-touches-volume"],
            targets: &[],
        },
        Case {
            name: "SQLite migrated by a release / pre-deploy command",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", "datasource db {\n  provider = \"sqlite\"\n  url = env(\"DATABASE_URL\")\n}\n"),
                ("fly.toml", "app = \"a\"\n[deploy]\n  release_command = \"npx prisma migrate deploy\"\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n"),
                ("railway.json", "{\"deploy\": {\"preDeployCommand\": [\"npx prisma migrate deploy\"]}}"),
                ("render.yaml", "services:\n  - type: web\n    name: web\n    runtime: node\n    plan: starter\n    preDeployCommand: npx prisma migrate deploy\n    disk:\n      name: data\n      mountPath: /data\n"),
            ]),
            fires: &["release-touches-volume"],
            silent: &[],
            targets: &["fly", "railway", "render"],
        },
        Case {
            name: "Postgres migrated by a release / pre-deploy command",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n"),
                ("fly.toml", "app = \"a\"\n[deploy]\n  release_command = \"npx prisma migrate deploy\"\n"),
                ("railway.json", "{\"deploy\": {\"preDeployCommand\": [\"npx prisma migrate deploy\"]}}"),
                ("render.yaml", "services:\n  - type: web\n    name: web\n    runtime: node\n    plan: starter\n    preDeployCommand: npx prisma migrate deploy\n"),
            ]),
            fires: &[],
            silent: &["release-touches-volume"],
            targets: &["fly", "railway", "render"],
        },
        Case {
            name: "compose publishes the wrong container port",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", WITH_DOCKER),
                ("docker-compose.yml", "services:\n  app:\n    build: .\n    restart: unless-stopped\n    ports:\n      - \"80:8080\"\n"),
            ]),
            fires: &["compose-port-mismatch"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "compose publishes the app's port",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", WITH_DOCKER),
                ("docker-compose.yml", "services:\n  app:\n    build: .\n    restart: unless-stopped\n    ports:\n      - \"80:3000\"\n"),
            ]),
            fires: &[],
            silent: &["compose-port-mismatch"],
            targets: &[],
        },
        Case {
            name: "replicas with a disk or a SQLite database",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", "datasource db {\n  provider = \"sqlite\"\n  url = \"file:./dev.db\"\n}\n"),
                ("railway.json", "{\"deploy\": {\"numReplicas\": 3}}"),
                ("render.yaml", "services:\n  - type: web\n    name: app\n    runtime: node\n    plan: starter\n    numInstances: 2\n    disk:\n      name: d\n      mountPath: /var/data\n"),
            ]),
            fires: &["volume-with-replicas"],
            silent: &[],
            targets: &["railway", "render"],
        },
        Case {
            name: "replicas of a stateless app",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n"),
                ("railway.json", "{\"deploy\": {\"numReplicas\": 3}}"),
                ("render.yaml", "services:\n  - type: web\n    name: app\n    runtime: node\n    plan: starter\n    numInstances: 2\n"),
            ]),
            fires: &[],
            silent: &["volume-with-replicas"],
            targets: &["railway", "render"],
        },
        Case {
            name: "fly build expects values Fly does not pass",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", "FROM node:20-alpine AS builder\nWORKDIR /app\nARG NEXT_PUBLIC_API_URL\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nCOPY --from=builder /app ./\nCMD [\"npm\", \"start\"]\n"),
                ("fly.toml", "app = \"a\"\n[http_service]\n  internal_port = 3000\n"),
            ]),
            fires: &["fly-build-secret"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "fly build args set in fly.toml",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("Dockerfile", "FROM node:20-alpine AS builder\nWORKDIR /app\nARG NEXT_PUBLIC_API_URL\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nCOPY --from=builder /app ./\nCMD [\"npm\", \"start\"]\n"),
                ("fly.toml", "app = \"a\"\n[build.args]\n  NEXT_PUBLIC_API_URL = \"https://api.example.com\"\n"),
            ]),
            fires: &[],
            silent: &["fly-build-secret"],
            targets: &[],
        },
        Case {
            name: "seed004: HEALTHCHECK on localhost, HOSTNAME unset",
            repo: Repo::Fixture("seed004-coolify-vps"),
            fires: &["healthcheck-localhost-hostname", "standalone-hostname", "entrypoint-shell-missing", "compose-secret-default"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "HEALTHCHECK on localhost with HOSTNAME set",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                (
                    "Dockerfile",
                    &WITH_DOCKER.replace("CMD [\"node\", \"server.js\"]", "HEALTHCHECK CMD wget -qO- http://localhost:3000/ || exit 1\nCMD [\"node\", \"server.js\"]"),
                ),
            ]),
            fires: &[],
            silent: &["healthcheck-localhost-hostname", "standalone-hostname"],
            targets: &[],
        },
        Case {
            name: "Next.js 16 on a Node.js 18 image",
            repo: files(&[
                ("package.json", "{\"scripts\":{\"build\":\"next build\",\"start\":\"next start\"},\"dependencies\":{\"next\":\"^16.0.1\"}}"),
                ("Dockerfile", "FROM node:18-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\",\"start\"]\n"),
            ]),
            fires: &["node-too-old"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "Next.js 16 on a Node.js 22 image",
            repo: files(&[
                ("package.json", "{\"scripts\":{\"build\":\"next build\",\"start\":\"next start\"},\"dependencies\":{\"next\":\"^16.0.1\"}}"),
                ("Dockerfile", "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\",\"start\"]\n"),
            ]),
            fires: &[],
            silent: &["node-too-old"],
            targets: &[],
        },
        Case {
            name: "a declared health check path with no route",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("app/page.tsx", PAGE),
                ("app/api/health/route.ts", ROUTE),
                ("deploy-audit.toml", "[platform]\nhealth-check-path = \"/healthz\"\n"),
            ]),
            fires: &["healthcheck-path-no-route"],
            silent: &[],
            targets: &["koyeb", "coolify"],
        },
        Case {
            name: "a declared health check path on a route",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("app/page.tsx", PAGE),
                ("app/api/health/route.ts", ROUTE),
                ("deploy-audit.toml", "[platform]\nhealth-check-path = \"/api/health\"\n"),
            ]),
            fires: &[],
            silent: &["healthcheck-path-no-route"],
            targets: &["koyeb", "coolify"],
        },
        Case {
            name: "suppressions without a reason, and for a rule that never fires here",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("app/api/health/route.ts", ROUTE),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\n# deploy-audit-ignore: build-runs-migrations\nRUN npx prisma migrate deploy\n# deploy-audit-ignore: npm-ci-no-lockfile -- the lockfile is generated in CI\nRUN npm run build\nCMD [\"npm\", \"start\"]\n",
                ),
            ]),
            fires: &["suppression-invalid", "suppression-unused"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "a suppression with a reason that hides a finding",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("package-lock.json", "{}"),
                ("app/api/health/route.ts", ROUTE),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\n# deploy-audit-ignore: build-runs-migrations -- the build job reaches a staging database\nRUN npx prisma migrate deploy\nRUN npm run build\nCMD [\"npm\", \"start\"]\n",
                ),
            ]),
            fires: &[],
            silent: &["suppression-invalid", "suppression-unused"],
            targets: &[],
        },
        Case {
            name: "fly.toml without a service section; compose with version:",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("fly.toml", "app = \"a\"\nprimary_region = \"fra\"\n"),
                ("docker-compose.yml", "version: '3.8'\nservices:\n  app:\n    build: .\n    restart: unless-stopped\n"),
            ]),
            fires: &["fly-no-http-service", "compose-version-key"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "fly.toml with http_service; compose without version:",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("fly.toml", "app = \"a\"\n[http_service]\n  internal_port = 3000\n"),
                ("docker-compose.yml", "services:\n  app:\n    build: .\n    restart: unless-stopped\n"),
            ]),
            fires: &[],
            silent: &["fly-no-http-service", "compose-version-key"],
            targets: &[],
        },
        // ---- source, environment and secrets (issue 5 rules) ----
        Case {
            name: "source patterns",
            repo: Repo::Fixture("source-patterns"),
            fires: &[
                "hardcoded-internal-host",
                "next-public-secret",
                "secret-fallback",
                "secret-build-arg",
                "secret-in-dockerfile-env",
                "secret-min-length",
                "env-file-in-image",
                "auth-check-fail-open",
                "local-log-file",
                "child-process-binary-missing",
                "next-public-build-arg-missing",
                "internal-host-fallback",
                "in-process-scheduler",
                "env-unused",
            ],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "source patterns: SQLite without a volume",
            repo: Repo::Fixture("source-patterns"),
            fires: &["sqlite-ephemeral"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "a live API key committed in render.yaml",
            repo: Repo::Fixture("seed003-paas-drizzle"),
            fires: &["committed-api-key"],
            silent: &[],
            targets: &[],
        },
        Case {
            name: "strict auth check, bundled ffmpeg, test key, excluded env file",
            repo: files(&[
                ("package.json", &NEXT_PKG.replace("\"next\": \"15.1.0\"", "\"next\": \"15.1.0\", \"ffmpeg-static\": \"5.2.0\"")),
                ("package-lock.json", "{}"),
                ("Dockerfile", "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n"),
                (".dockerignore", "**/.env*\n!.env.example\n"),
                (".env.production", "STRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n"),
                (
                    "app/api/cron/route.ts",
                    "import { spawn } from 'child_process';\nimport ffmpeg from 'ffmpeg-static';\nexport function GET(req: Request) {\n  if (!process.env.CRON_SECRET || req.headers.get('authorization') !== process.env.CRON_SECRET) {\n    return new Response('no', { status: 401 });\n  }\n  spawn(ffmpeg as string, ['-version']);\n  return new Response('ok');\n}\n",
                ),
                ("lib/stripe.ts", "export const testKey = 'sk_test_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ';\n"),
            ]),
            fires: &[],
            silent: &["auth-check-fail-open", "child-process-binary-missing", "committed-api-key", "env-file-in-image"],
            targets: &[],
        },
        Case {
            name: "every template variable is read somewhere",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (".env.example", "NEXTAUTH_SECRET=\nNEXT_PUBLIC_BRAND=\nPOSTGRES_PASSWORD=\n"),
                ("components/b.tsx", "'use client';\nexport function B() { return <b>{process.env.NEXT_PUBLIC_BRAND}</b> }\n"),
                ("docker-compose.yml", "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n"),
            ]),
            fires: &[],
            silent: &["env-unused"],
            targets: &[],
        },
        Case {
            name: "public hosts, references and a documented fallback variable",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\nENV DATABASE_URL=${DATABASE_URL}\nENV API_URL=https://api.acme.io\nENV HOSTNAME=0.0.0.0\nCMD [\"npm\", \"start\"]\n",
                ),
                (".env.example", "REDIS_URL=\n"),
                ("lib/redis.ts", "export const url = process.env.REDIS_URL || 'redis://localhost:6379';\n"),
                ("lib/api.ts", "export const s = process.env.SEARCH_URL || 'https://search.acme.io';\n"),
            ]),
            fires: &[],
            silent: &["hardcoded-internal-host", "internal-host-fallback"],
            targets: &[],
        },
        Case {
            name: "schedulers in functions, short intervals and client code",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("lib/cache.ts", "setInterval(() => cache.prune(), 60_000);\nexport function start() { const c = require('node-cron'); c.schedule('* * * * *', job); }\n"),
                ("components/poll.tsx", "'use client';\nsetInterval(refresh, 30 * 60 * 1000);\n"),
            ]),
            fires: &[],
            silent: &["in-process-scheduler"],
            targets: &[],
        },
        Case {
            name: "console and /tmp logs",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "lib/log.ts",
                    "import winston from 'winston';\nexport const logger = winston.createLogger({ transports: [new winston.transports.Console(), new winston.transports.File({ filename: '/tmp/app.log' })] });\n",
                ),
            ]),
            fires: &[],
            silent: &["local-log-file"],
            targets: &[],
        },
        Case {
            name: "NEXT_PUBLIC_ values the build receives, publishable keys",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", &WITH_DOCKER.replace("RUN npm run build", "ARG NEXT_PUBLIC_API_URL\nRUN npm run build")),
                (
                    "components/p.tsx",
                    "'use client';\nexport const u = process.env.NEXT_PUBLIC_API_URL;\nexport const k = process.env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY || '';\n",
                ),
            ]),
            fires: &[],
            silent: &["next-public-build-arg-missing", "next-public-secret"],
            targets: &[],
        },
        Case {
            name: "secrets passed by reference, development-only fallbacks, long enough values",
            repo: files(&[
                ("package.json", NEXT_PKG),
                (
                    "Dockerfile",
                    "FROM node:20-alpine\nARG NEXT_PUBLIC_API_URL\nRUN npm run build\nARG SENTRY_AUTH_TOKEN\nENV NODE_ENV=production\nENV API_KEY=changeme\nCMD [\"npm\", \"start\"]\n",
                ),
                (
                    "lib/auth.ts",
                    "let s = process.env.JWT_SECRET;\nif (process.env.NODE_ENV !== 'production') { s = process.env.JWT_SECRET || 'dev'; }\nexport const secret = s;\n",
                ),
                (
                    "src/env.ts",
                    "import { createEnv } from '@t3-oss/env-nextjs';\nimport { z } from 'zod';\nexport const env = createEnv({ server: { SESSION_SECRET: z.string().min(32) }, runtimeEnv: { SESSION_SECRET: process.env.SESSION_SECRET } });\n",
                ),
                (".env.production", "SESSION_SECRET=q8Zr2LmP0xVb7TkN4wYe1HsJq8Zr2LmP0xVb\n"),
                (".env.example", "SESSION_SECRET=changeme\n"),
            ]),
            fires: &[],
            silent: &["secret-build-arg", "secret-in-dockerfile-env", "secret-fallback", "secret-min-length"],
            targets: &[],
        },
        Case {
            name: "a Postgres datasource and an in-memory SQLite database",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n"),
                ("lib/db.ts", "import Database from 'better-sqlite3';\nexport const db = new Database(':memory:');\n"),
            ]),
            fires: &[],
            silent: &["sqlite-ephemeral"],
            targets: &[],
        },
        Case {
            name: "a Dockerfile whose context is prepared elsewhere",
            repo: files(&[
                ("package.json", NEXT_PKG),
                ("apps/api/package.json", "{\"scripts\":{\"start\":\"node main.js\"}}"),
                ("apps/api/Dockerfile", "FROM node:20-alpine\nWORKDIR /app\nCOPY ./meta .\nCOPY ./deps .\nCOPY ./pkg .\nCMD [\"node\", \"main.js\"]\n"),
            ]),
            fires: &["build-context-generated"],
            silent: &["copy-source-missing"],
            targets: &[],
        },
        Case {
            name: "a Dockerfile built from the repository",
            repo: Repo::Fixture("seed001-coolify-monorepo"),
            fires: &[],
            silent: &["build-context-generated"],
            targets: &[],
        },
    ]
}
