// The host's real packet filtering, whatever wrote it: `iptables-save` (iptables, legacy or nft backend, ufw's own
// chains included) and `nft list ruleset` (nftables, firewalld's included) read into what the policies judge: the
// default for inbound traffic and the TCP ports accepted, from where (IPv4 view, as for ufw).
//
// Pure and conservative: the input chain is walked in order, first match wins, jumps followed (depth-limited);
// loopback and established/related rules are not inbound exposure; a rule this reader cannot follow (a negated
// match, a set it cannot read, a mark, a goto into a loop) makes the result undecided rather than guessed.

import type { FirewallRule } from "@seed-web/facts";

export interface PacketFilter {
    engine: "iptables" | "nftables";
    defaultInbound: "deny" | "allow";
    rules: FirewallRule[];
}

/** One rule of a chain, reduced to what decides inbound TCP exposure. */
interface Rule {
    /** Not about new inbound TCP from the network (loopback, established, UDP, ICMP, IPv6): skipped. */
    skip?: boolean;
    /** Ports matched (undefined = every port). */
    ports?: number[];
    /** Sources matched (undefined = anywhere). */
    from?: string[];
    verdict: "accept" | "drop" | "jump" | "return" | "other";
    target?: string;
}

export class FilterUnreadable extends Error {}

function portList(text: string): number[] {
    const out: number[] = [];
    for (const part of text.split(/[,\s]+/).filter(Boolean)) {
        const m = /^(\d+)(?:[:-](\d+))?$/.exec(part);
        if (!m) throw new FilterUnreadable(`a port match it cannot read: ${part}`);
        const a = Number(m[1]);
        const b = m[2] ? Number(m[2]) : a;
        if (b - a > 1024) throw new FilterUnreadable(`a port range too wide to list: ${part}`);
        for (let p = a; p <= b; p++) out.push(p);
    }
    return out;
}

const cidr = (s: string) => s.replace(/\/32$/, "");

/** Walk `chain` (first match wins) to the default inbound policy and the accepted ports. */
function evaluate(chains: Map<string, Rule[]>, start: string, policy: "accept" | "drop", listening: number[]): { defaultInbound: "deny" | "allow"; rules: FirewallRule[] } {
    const rules: FirewallRule[] = [];
    /** Ports already decided for every source (a drop of the port, or an accept from anywhere). */
    const decided = new Set<number>();
    const walk = (name: string, depth: number): "accept" | "drop" | undefined => {
        if (depth > 16) throw new FilterUnreadable(`chain ${name}: jumps nested too deep`);
        for (const r of chains.get(name) ?? []) {
            if (r.skip) continue;
            if (r.verdict === "other") throw new FilterUnreadable(`chain ${name}: a rule it cannot follow`);
            if (r.verdict === "return") {
                if (r.ports || r.from) throw new FilterUnreadable(`chain ${name}: a conditional return`);
                return undefined;
            }
            if (r.verdict === "jump") {
                if (!chains.has(r.target ?? "")) continue; // an empty or unknown chain: no verdict
                if (r.ports || r.from) {
                    // a conditional jump: the sub-chain's verdicts apply to those packets only — read it as if inline
                    // (its accepts narrowed by the jump's match)
                    const sub = chains.get(r.target!)!;
                    chains.set(`${r.target}@${depth}`, sub.map((x) => ({ ...x, ports: x.ports ?? r.ports, from: x.from ?? r.from })));
                    const v = walk(`${r.target}@${depth}`, depth + 1);
                    chains.delete(`${r.target}@${depth}`);
                    if (v !== undefined) throw new FilterUnreadable(`chain ${r.target}: an unconditional verdict inside a conditional jump`);
                    continue;
                }
                const v = walk(r.target!, depth + 1);
                if (v) return v;
                continue;
            }
            const ports = r.ports ?? (r.from ? listening : undefined);
            if (r.verdict === "accept") {
                if (!ports) return r.from ? undefined : "accept"; // everything from anywhere
                for (const port of ports) {
                    if (decided.has(port)) continue;
                    for (const from of r.from ?? ["any"]) rules.push({ port, proto: "tcp", from: cidr(from) });
                    if (!r.from) decided.add(port);
                }
            } else {
                if (!ports && !r.from) return "drop";
                if (!r.from) for (const p of ports ?? []) decided.add(p);
            }
        }
        return undefined;
    };
    const v = walk(start, 0) ?? policy;
    const seen = new Set<string>();
    const unique = rules.filter((x) => !seen.has(`${x.port} ${x.from}`) && !!seen.add(`${x.port} ${x.from}`));
    return { defaultInbound: v === "drop" ? "deny" : "allow", rules: v === "drop" ? unique : [] };
}

// ---------------------------------------------------------------------------------------------------------------------
// iptables-save

/** `iptables-save` → the filter table's INPUT chain; undefined when nothing filters there (no rule, policy ACCEPT). */
export function parseIptables(text: string, listening: number[] = []): PacketFilter | undefined {
    const chains = new Map<string, Rule[]>();
    let policy: "accept" | "drop" = "accept";
    let table = "";
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line.startsWith("*")) table = line.slice(1);
        if (table !== "filter") continue;
        const pm = /^:(\S+)\s+(\S+)/.exec(line);
        if (pm) {
            chains.set(pm[1], chains.get(pm[1]) ?? []);
            if (pm[1] === "INPUT") policy = pm[2] === "DROP" ? "drop" : "accept";
            continue;
        }
        if (!line.startsWith("-A ")) continue;
        const words = line.replace(/--comment\s+("(?:[^"\\]|\\.)*"|\S+)/g, "").split(/\s+/);
        const chain = words[1];
        const opt = (name: string) => {
            const i = words.indexOf(name);
            return i >= 0 ? words[i + 1] : undefined;
        };
        const r: Rule = { verdict: "other" };
        const target = opt("-j") ?? opt("-g");
        if (target === "ACCEPT") r.verdict = "accept";
        else if (target === "DROP" || target === "REJECT") r.verdict = "drop";
        else if (target === "RETURN") r.verdict = "return";
        else if (target === undefined || ["LOG", "NFLOG", "ULOG"].includes(target)) r.skip = true; // no verdict
        else if (chains.has(target)) {
            r.verdict = "jump";
            r.target = target;
        }
        const proto = opt("-p");
        const state = opt("--ctstate") ?? opt("--state");
        if (opt("-i") === "lo" || (state && !/NEW|UNTRACKED/.test(state)) || (proto && !["tcp", "6"].includes(proto)) || words.includes("--icmp-type")) r.skip = true;
        if (words.includes("!") && !r.skip) {
            // a negated drop only loosens (ignoring it is conservative); a negated accept or jump is not guessed
            if (r.verdict !== "drop") throw new FilterUnreadable(`a negated match: ${line}`);
            r.skip = true;
        }
        const dport = opt("--dport") ?? opt("--destination-port") ?? opt("--dports") ?? opt("--destination-ports");
        if (dport) r.ports = portList(dport);
        const src = opt("-s");
        if (src && src !== "0.0.0.0/0") r.from = src.split(",");
        const list = chains.get(chain) ?? [];
        list.push(r);
        chains.set(chain, list);
    }
    const input = chains.get("INPUT");
    if (!input || (input.length === 0 && policy === "accept")) return undefined;
    return { engine: "iptables", ...evaluate(chains, "INPUT", policy, listening) };
}

// ---------------------------------------------------------------------------------------------------------------------
// nft list ruleset

function setOrValue(s: string): string[] {
    const t = s.trim();
    return (t.startsWith("{") ? t.slice(1, -1) : t).split(",").map((x) => x.trim()).filter(Boolean);
}

/** `nft list ruleset` → its IPv4/inet input hooks; undefined when no chain filters input. */
export function parseNft(text: string, listening: number[] = []): PacketFilter | undefined {
    // tables → chains → rule lines
    const results: { defaultInbound: "deny" | "allow"; rules: FirewallRule[] }[] = [];
    const tableRe = /^table\s+(\S+)\s+(\S+)\s*\{([\s\S]*?)^\}/gm;
    for (const t of text.matchAll(tableRe)) {
        const family = t[1];
        if (!["ip", "inet"].includes(family)) continue;
        const chains = new Map<string, Rule[]>();
        const bases: { name: string; policy: "accept" | "drop" }[] = [];
        for (const c of t[3].matchAll(/^\s*chain\s+(\S+)\s*\{([\s\S]*?)^\s*\}/gm)) {
            const name = c[1];
            const rules: Rule[] = [];
            for (const raw of c[2].split("\n")) {
                let line = raw.trim().replace(/\s+comment\s+"(?:[^"\\]|\\.)*"/, "");
                if (!line || line.startsWith("#")) continue;
                const hook = /type\s+filter\s+hook\s+(\w+)\s+priority\s+[^;]+;(?:\s*policy\s+(\w+);)?/.exec(line);
                if (hook) {
                    if (hook[1] === "input") bases.push({ name, policy: hook[2] === "drop" ? "drop" : "accept" });
                    continue;
                }
                if (/^(type|policy|devices)\b/.test(line)) continue;
                line = line.replace(/\bcounter(\s+packets\s+\d+\s+bytes\s+\d+)?/g, "").replace(/\blog(\s+prefix\s+"[^"]*")?(\s+level\s+\w+)?/g, "").replace(/\s+/g, " ").trim();
                const r: Rule = { verdict: "other" };
                const vm = /\b(accept|drop|reject(?: with .*)?|return|jump (\S+)|goto (\S+))$/.exec(line);
                if (vm) {
                    if (vm[1] === "accept") r.verdict = "accept";
                    else if (vm[1] === "drop" || vm[1].startsWith("reject")) r.verdict = "drop";
                    else if (vm[1] === "return") r.verdict = "return";
                    else {
                        r.verdict = "jump";
                        r.target = vm[2] ?? vm[3];
                    }
                } else if (!/\b(accept|drop|reject|jump|goto|queue)\b/.test(line)) r.skip = true; // no verdict
                if (/\bct status dnat\b/.test(line)) r.skip = true; // forwarded by a DNAT rule (firewalld): the ports its rules name
                if (/\b(iif|iifname)\s+"?lo"?\b/.test(line) || /\bct state\b/.test(line) && !/\bnew\b/.test(line) && /\b(established|related|invalid)\b/.test(line)) r.skip = true;
                if (/\b(udp|icmp|icmpv6|sctp)\b/.test(line) && !/\btcp\b/.test(line)) r.skip = true;
                if (/\bip6\b|\bmeta nfproto ipv6\b/.test(line)) r.skip = true; // the IPv4 view, as for ufw
                if (/\bmeta l4proto\s+(?!tcp\b)/.test(line) && !/\btcp\b/.test(line)) r.skip = true;
                if (/!=/.test(line) && !r.skip) {
                    if (r.verdict === "accept") throw new FilterUnreadable(`a negated match: ${line}`);
                    r.skip = true;
                }
                const dm = /\b(?:tcp|th)\s+dport\s+(\{[^}]*\}|\S+)/.exec(line);
                if (dm) {
                    if (/^@/.test(dm[1])) throw new FilterUnreadable(`a named set: ${line}`);
                    r.ports = portList(setOrValue(dm[1]).join(","));
                }
                const sm = /\bip\s+saddr\s+(\{[^}]*\}|\S+)/.exec(line);
                if (sm) {
                    if (/^@/.test(sm[1])) throw new FilterUnreadable(`a named set: ${line}`);
                    r.from = setOrValue(sm[1]);
                }
                rules.push(r);
            }
            chains.set(name, rules);
        }
        for (const b of bases) results.push(evaluate(chains, b.name, b.policy, listening));
    }
    if (results.length === 0) return undefined;
    // every input hook must accept a packet: the port open through all of them, the default the strictest
    const deny = results.filter((r) => r.defaultInbound === "deny");
    if (deny.length === 0) return { engine: "nftables", defaultInbound: "allow", rules: [] };
    const rules = deny[0].rules.filter((x) => deny.every((d) => d.rules.some((y) => y.port === x.port && (y.from === "any" || y.from === x.from))));
    return { engine: "nftables", defaultInbound: "deny", rules };
}
