// Address helpers for firewall rules, bind addresses and published ports.

import * as net from "net";

/** A bind/listen address reachable only from the host itself. */
export function isLoopback(address: string): boolean {
    const a = address.trim().toLowerCase();
    if (a === "localhost" || a === "::1" || a === "0:0:0:0:0:0:0:1") return true;
    const v4 = a.startsWith("::ffff:") ? a.slice("::ffff:".length) : a;
    return net.isIPv4(v4) && v4.startsWith("127.");
}

/** A firewall source meaning "anybody". */
export function isAnywhere(from: string): boolean {
    const f = from.trim().toLowerCase();
    return ["any", "anywhere", "0.0.0.0/0", "0.0.0.0", "::/0", "::", "*", ""].includes(f);
}

/** A firewall source naming exactly `address` (the address itself, or as a single-host CIDR). */
export function isSingleHost(from: string, address: string): boolean {
    const f = from.trim().toLowerCase();
    const a = address.trim().toLowerCase();
    return f === a || f === `${a}/32` || f === `${a}/128`;
}
