// Predicates on single values (addresses, names, URLs): no errors thrown, no config read.

import * as net from "net";
import { MAX_DOMAIN_LENGTH, MAX_EMAIL_LENGTH, MAX_URL_LENGTH } from "./limits";

/** An IPv4 address of a private, shared (CGNAT), link-local or loopback range: not routed on the Internet. */
export function isPrivateIpv4(v: string): boolean {
    if (net.isIP(v) !== 4) return false;
    const [a, b] = v.split(".").map(Number);
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
}

/** An address or CIDR range (`family` 4: IPv4 only). Prefix lengths in their canonical form (no leading zeros). */
export function isAddressOrCidr(v: string, family?: 4 | 6): boolean {
    if (v.length > 64) return false;
    const [addr, bits, ...rest] = v.split("/");
    if (rest.length > 0) return false;
    const f = ipFamily(addr);
    if (f === 0 || (family !== undefined && f !== family)) return false;
    if (bits === undefined) return true;
    const n = /^(0|[1-9][0-9]{0,2})$/.test(bits) ? Number(bits) : NaN;
    return n >= 0 && n <= (f === 4 ? 32 : 128);
}

/** 4 or 6 for an IP address in plain form (no IPv6 zone such as %eth0), else 0. */
export function ipFamily(v: string): 0 | 4 | 6 {
    if (v.length > 45 || v.includes("%")) return 0;
    return net.isIP(v) as 0 | 4 | 6;
}

/** An e-mail address certbot and the ACME server take: printable ASCII local part, a DNS domain. Linear-time. */
export function isEmail(v: string): boolean {
    if (v.length > MAX_EMAIL_LENGTH) return false;
    const at = v.indexOf("@");
    if (at < 1 || at > 64 || at !== v.lastIndexOf("@")) return false;
    const local = v.slice(0, at);
    const domain = v.slice(at + 1);
    return /^[\x21-\x3f\x41-\x7e]+$/.test(local) && domain.includes(".") && isDomainName(domain);
}

/** The https:// URL of an ACME directory, in the form certbot.sh accepts (host[:port], a plain path). */
export function isAcmeUrl(v: string): boolean {
    if (v.length > MAX_URL_LENGTH) return false;
    const m = /^https:\/\/([A-Za-z0-9.-]+)(:([1-9][0-9]{0,4}))?(\/[A-Za-z0-9._~%/-]*)?$/.exec(v);
    if (!m) return false;
    if (m[3] !== undefined && Number(m[3]) > 65535) return false;
    return ipFamily(m[1]) === 4 || (isDomainName(m[1]) && m[1] !== "");
}

export function isDomainName(v: string): boolean {
    return (
        v.length <= MAX_DOMAIN_LENGTH &&
        v.split(".").every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label))
    );
}


export function isAddress(v: string): boolean {
    return ipFamily(v) !== 0 || isDomainName(v);
}
