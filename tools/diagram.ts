// Mermaid diagrams of a stack, generated from the same topology model the program deploys, with the audit's
// violations marked on the hosts they concern.
//   npm run diagram -- --stack dev            → docs/dev.md
//   npm run diagram -- --config FILE [--output F]  (--help: the options; unknown options are refused, exit 2)
//   npm run diagram -- --all                  → every shipped stack (Pulumi.*.yaml)
import * as fs from "fs";
import * as path from "path";
import { ConfigError, escapeText, loadConfig, RawConfig } from "../lib/config";
import { parseCommandName } from "@seed-web/facts";
import { buildTopology, HostNode, NODE_EXPORTER_PORT, STATUS_PORT, Topology } from "../lib/topology";
import { AuditInputError, defaultStackName, runAudit, stackNames } from "./audit";
import * as cli from "./cli";
import { PROJECT_DIR, readStackFile, stackFilePath, StackFileError } from "./stack-config";

export interface MarkedViolation {
    policy: string;
    level: "advisory" | "mandatory";
    /** The host the violation concerns; undefined = the whole stack. */
    host?: string;
}

/** The host a resource belongs to: commands are named <host>-<step>, containers <host>. */
export function hostOfResource(resourceName: string, hosts: string[]): string | undefined {
    const name = parseCommandName(resourceName)?.host ?? resourceName;
    return hosts.includes(name) ? name : undefined;
}

const id = (name: string) => name.replace(/[^A-Za-z0-9]/g, "_");
const q = (text: string) => `"${text.replace(/"/g, "#quot;")}"`;

function services(h: HostNode): string[] {
    const lines: string[] = [];
    const n = id(h.name);
    if (h.lb) {
        const ports = h.lb.tls.mode === "none" ? ":80" : `:80 → 301, :443 TLS (${h.lb.tls.mode})`;
        lines.push(`${n}_lb[${q(`HAProxy ${ports}<br/>round robin, health checks`)}]`);
    }
    if (h.web) {
        const tls =
            h.web.backendTlsPort !== undefined
                ? `:${h.web.backendTlsPort} TLS for the balancer (stack CA), :80 on loopback`
                : h.web.tls.mode === "none"
                  ? ":80"
                  : `:80 → 301, :443 TLS (${h.web.tls.mode})`;
        lines.push(`${n}_nginx[${q(`Nginx ${tls}<br/>static files`)}]`);
        lines.push(`${n}_php[${q("PHP-FPM<br/>dynamic pages")}]`);
        lines.push(`${n}_nginx -->|FastCGI socket| ${n}_php`);
    }
    if (h.database) {
        const d = h.database;
        const role = d.role === "standalone" ? "" : ` (${d.role})`;
        lines.push(`${n}_db[(${q(`MySQL${role}<br/>${d.bindAddress}:${d.port}`)})]`);
    }
    if (h.monitoring) lines.push(`${n}_mon[${q(`node exporter :${NODE_EXPORTER_PORT}${h.web ? `<br/>status :${STATUS_PORT}` : ""}`)}]`);
    if (h.backup) lines.push(`${n}_bak[${q(`daily dump ${h.backup.time}, keep ${h.backup.retention}`)}]`);
    return lines;
}

export function renderDiagram(stack: string, t: Topology, violations: MarkedViolation[]): string {
    const out: string[] = ["flowchart LR"];
    out.push(`    user([${q("User's browser")}])`);
    out.push(`    dns{{${q(t.dns.map((r) => `${r.name} ${r.type} ${r.value}`).join("<br/>"))}}}`);
    out.push(`    user -->|${q(`resolves ${t.serverNames[t.serverNames.length - 1]}`)}| dns`);
    for (const h of t.hosts) {
        const fw = h.firewall
            ? `firewall: ${h.firewall.rules.map((r) => `${r.port}${r.from === "any" ? "" : ` from ${r.from}`}`).join(", ")}`
            : "no firewall";
        out.push(`    subgraph ${id(h.name)}[${q(`${h.name} · ${h.roles.join(", ")} · ${fw}`)}]`);
        for (const l of services(h)) out.push(`        ${l}`);
        out.push("    end");
    }
    const scheme = t.tls === "none" ? "HTTP :80" : "HTTPS :443";
    for (const name of t.entryPoints) {
        const h = t.hosts.find((x) => x.name === name)!;
        out.push(`    user -->|${q(`${scheme} to ${t.publicIp}`)}| ${id(name)}_${h.lb ? "lb" : "nginx"}`);
    }
    for (const h of t.hosts) {
        if (h.lb) for (const b of h.lb.backends) out.push(`    ${id(h.name)}_lb -->|${h.lb.backendTls ? `TLS :${b.port}, stack CA` : `HTTP :${b.port}`}| ${id(b.name)}_nginx`);
        if (h.web) {
            const db = t.hosts.find((x) => x.database && x.database.role !== "replica")!;
            out.push(`    ${id(h.name)}_php -->|${q(`SQL :${h.web.db.port}`)}| ${id(db.name)}_db`);
        }
        if (h.database?.primary) out.push(`    ${id(h.database.primary.name)}_db -.->|replication| ${id(h.name)}_db`);
    }
    // The audit's findings, on the host they concern (or the stack).
    const byHost = new Map<string, MarkedViolation[]>();
    for (const v of violations) byHost.set(v.host ?? "", [...(byHost.get(v.host ?? "") ?? []), v]);
    for (const [host, vs] of [...byHost.entries()].sort()) {
        const node = `audit_${host ? id(host) : "stack"}`;
        const text = [...new Set(vs.map((v) => `${v.level === "mandatory" ? "✖" : "⚠"} ${v.policy} (${v.level})`))].join("<br/>");
        const worst = vs.some((v) => v.level === "mandatory") ? "mandatory" : "advisory";
        out.push(`    ${node}>${q(text)}]:::${worst}`);
        if (host) out.push(`    ${node} -.- ${id(host)}`);
    }
    out.push("    classDef mandatory fill:#fdd,stroke:#c00,color:#600");
    out.push("    classDef advisory fill:#ffe9b3,stroke:#b80,color:#530");
    const counts = (level: string) => violations.filter((v) => v.level === level).length;
    return [
        `# Stack \`${stack}\``,
        "",
        `Generated by \`npm run diagram -- --stack ${stack}\` from the topology model and the offline policy audit; do not edit.`,
        `Audit: ${counts("mandatory")} mandatory and ${counts("advisory")} advisory violations.`,
        "",
        "```mermaid",
        ...out,
        "```",
        "",
    ].join("\n");
}

/** The diagram of a stack file, with its audit. */
export async function diagramFor(configFile: string, stack: string): Promise<string> {
    const file = readStackFile(configFile);
    const raw: RawConfig = file.raw;
    const topology = buildTopology(loadConfig(raw, { hasSshAgent: true, secretKeys: file.secureKeys }));
    const audit = await runAudit({ configFile, stack });
    const hostNames = topology.hosts.map((h) => h.name);
    const violations = audit.violations.map((v) => ({ policy: v.policy, level: v.level, host: hostOfResource(v.resourceName, hostNames) }));
    return renderDiagram(stack, topology, violations);
}

export const SHIPPED_STACKS = ["dev", "hardened", "distributed"];
/** The stacks whose diagrams the README shows, between `<!-- diagram:NAME -->` and `<!-- /diagram:NAME -->`. */
export const README_STACKS = ["dev", "distributed"];
export const README = path.join(PROJECT_DIR, "README.md");

/** The Mermaid block (```mermaid … ```) of a generated diagram page. */
export function mermaidBlock(page: string): string {
    const m = /^```mermaid\n[\s\S]*?^```$/m.exec(page);
    if (!m) throw new Error("no mermaid block in the diagram");
    return m[0];
}

/** The README with each marked diagram replaced by the stack's current one (pages: stack → generated page). */
export function readmeWithDiagrams(readme: string, pages: Record<string, string>): string {
    let out = readme;
    for (const [stack, page] of Object.entries(pages)) {
        const open = `<!-- diagram:${stack} -->`;
        const close = `<!-- /diagram:${stack} -->`;
        const a = out.indexOf(open);
        const b = out.indexOf(close);
        if (a < 0 || b < a) throw new Error(`README.md has no ${open} … ${close} section`);
        out = `${out.slice(0, a + open.length)}\n${mermaidBlock(page)}\n${out.slice(b)}`;
    }
    return out;
}
export const DOCS_DIR = path.join(PROJECT_DIR, "docs");

const USAGE = `usage: npm run diagram -- (--stack NAME | --config FILE) [--output FILE] | --all
  --stack NAME   Pulumi.NAME.yaml of the project → docs/NAME.md
  --config FILE  any stack file → docs/<stack>.md (stack name from Pulumi.<stack>.yaml, else the file's name)
  --output FILE  write there instead (with --stack or --config; - = stdout; --out is its old name)
  --all          every shipped stack (${SHIPPED_STACKS.join(", ")}) → docs/, and the README's diagrams (${README_STACKS.join(", ")})
relative paths are taken from the directory you run npm in
exit codes: 0 written, 2 bad arguments or stack file`;

export const COMMAND = {
    usage: USAGE,
    options: {
        stack: { type: "string" },
        config: { type: "string" },
        output: { type: "string" },
        all: { type: "boolean", default: false },
    },
    aliases: { out: "output" },
} as const;

export async function main(argv: string[]): Promise<number> {
    return cli.guard(async () => {
        const values = cli.parseOrHelp(COMMAND, argv);
        if (!values) return cli.EXIT_OK;
        const args = values as { stack?: string; config?: string; output?: string; all: boolean };
        const bad = (message: string) => new cli.CliInputError(`${message}\n${USAGE}`);
        const chosen = [args.all && "--all", args.stack !== undefined && "--stack", args.config !== undefined && "--config"].filter(Boolean);
        if (chosen.length !== 1) throw bad(chosen.length ? `${chosen.join(" and ")} exclude each other` : "give --stack NAME, --config FILE or --all");
        if (args.all && args.output !== undefined) throw bad("--output goes with --stack or --config, not --all");
        const output = args.output === undefined ? undefined : cli.userPath(args.output);
        const jobs: { file: string; stack: string; out: string }[] = [];
        if (args.all) {
            for (const s of SHIPPED_STACKS) jobs.push({ file: stackFilePath(s), stack: s, out: path.join(DOCS_DIR, `${s}.md`) });
        } else if (args.stack !== undefined) {
            const s = args.stack;
            if (!cli.isStackName(s)) throw bad(`invalid stack name ${JSON.stringify(escapeText(s))}`);
            jobs.push({ file: stackFilePath(s), stack: s, out: output ?? path.join(DOCS_DIR, `${s}.md`) });
        } else {
            const file = cli.userPath(args.config!);
            const s = defaultStackName(file);
            jobs.push({ file, stack: s, out: output ?? path.join(DOCS_DIR, `${s}.md`) });
        }
        for (const j of jobs) {
            if (!fs.existsSync(j.file)) {
                const stacks = stackNames();
                throw new cli.CliInputError(`no stack file ${cli.shownPath(j.file)}${stacks.length ? `; the stacks here: ${stacks.join(", ")}` : ""}`);
            }
            if (j.out !== "-") {
                if (path.dirname(j.out) === DOCS_DIR) fs.mkdirSync(DOCS_DIR, { recursive: true });
                cli.checkOutputFile(j.out);
            }
        }
        const readmePages: Record<string, string> = {};
        for (const j of jobs) {
            let text: string;
            try {
                text = await diagramFor(j.file, j.stack);
            } catch (e) {
                if (e instanceof StackFileError || e instanceof AuditInputError || e instanceof ConfigError) throw new cli.CliInputError(e.message);
                throw e;
            }
            cli.writeOutput(j.out, text);
            if (args.all && README_STACKS.includes(j.stack)) readmePages[j.stack] = text;
            if (j.out !== "-") process.stdout.write(`wrote ${path.relative(cli.userDir(), j.out) || j.out}\n`);
        }
        if (args.all) {
            const before = fs.readFileSync(README, "utf8");
            const after = readmeWithDiagrams(before, readmePages);
            if (after !== before) {
                fs.writeFileSync(README, after);
                process.stdout.write(`updated the diagrams in ${path.relative(cli.userDir(), README) || README}\n`);
            }
        }
        return cli.EXIT_OK;
    });
}

if (require.main === module) cli.runMain(main);
