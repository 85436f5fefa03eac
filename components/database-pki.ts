// TLS between hosts: a CA of the stack's own (its key stays in the encrypted state), a certificate per server reached
// over the network (a database server, a web host behind the balancer), for the address the others use (an IP SAN, or
// a DNS name). The CA keeps its first name and subject (the database's): renamed, it would be replaced and every
// certificate with it. Not a component of its own: the CA stays a child of the WebStack and each certificate a child
// of its host, under the names they were deployed with.

import * as pulumi from "@pulumi/pulumi";
import type * as Tls from "@pulumi/tls";
import * as net from "net";
import { backendTlsName } from "../lib/topology";
import { Host } from "./host";
import { BackendTls, DatabaseTls } from "./steps";

export interface DatabasePki {
    /** The database servers' key, certificate and the CA's (a database reached over the network: database.tls). */
    dbTls: Map<Host, DatabaseTls>;
    /** The web hosts' key and certificate for the balancer → web hop (web.backendTlsPort). */
    backendTls: Map<Host, BackendTls>;
    /** The CA's certificate (PEM), what the clients verify against; undefined when no host needs one. */
    ca?: pulumi.Output<string>;
}

/** The stack's CA (resources NAME-db-ca-key, NAME-db-ca, children of PARENT) and its certificates (HOST-db-tls-*,
 * HOST-web-tls-*, children of their host), only when some host needs one. */
export function databasePki(name: string, hosts: Host[], parent: pulumi.Resource): DatabasePki {
    const dbTls = new Map<Host, DatabaseTls>();
    const backendTls = new Map<Host, BackendTls>();
    if (!hosts.some((h) => h.node.database?.tls || h.node.web?.backendTlsPort !== undefined)) return { dbTls, backendTls };
    // loaded only here: a stack without a networked database (the dev stack, the audit's runs) does without it
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const tls: typeof Tls = require("@pulumi/tls");
    const caKey = new tls.PrivateKey(`${name}-db-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    const caKeyPem = pulumi.secret(caKey.privateKeyPem);
    const ca = new tls.SelfSignedCert(
        `${name}-db-ca`,
        {
            privateKeyPem: caKeyPem,
            isCaCertificate: true,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            subject: { commonName: "seed-web database CA", organization: "seed-web" },
            validityPeriodHours: 10 * 365 * 24,
        },
        { parent },
    );
    // a server certificate for HOST's private address (and the extra DNS names), under the resource names
    // PREFIX-key/-csr/-cert
    const issue = (host: Host, prefix: string, extraNames: string[] = []): { key: pulumi.Output<string>; cert: pulumi.Output<string> } => {
        const address = host.node.privateAddress;
        const isIp = net.isIP(address) !== 0;
        const dnsNames = [...(isIp ? [] : [address]), ...extraNames];
        const key = new tls.PrivateKey(`${prefix}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: host });
        const keyPem = pulumi.secret(key.privateKeyPem);
        const csr = new tls.CertRequest(
            `${prefix}-csr`,
            { privateKeyPem: keyPem, subject: { commonName: address, organization: "seed-web" }, ...(isIp ? { ipAddresses: [address] } : {}), ...(dnsNames.length ? { dnsNames } : {}) },
            { parent: host },
        );
        const cert = new tls.LocallySignedCert(
            `${prefix}-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 2 * 365 * 24,
                earlyRenewalHours: 30 * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            { parent: host },
        );
        return { key: keyPem, cert: cert.certPem };
    };
    for (const host of hosts.filter((h) => h.node.database?.tls)) {
        dbTls.set(host, { ...issue(host, `${host.node.name}-db-tls`), ca: ca.certPem });
    }
    for (const host of hosts.filter((h) => h.node.web?.backendTlsPort !== undefined)) {
        // HAProxy's verifyhost matches DNS names only: an address's certificate also names backendTlsName()
        const address = host.node.privateAddress;
        backendTls.set(host, issue(host, `${host.node.name}-web-tls`, net.isIP(address) !== 0 ? [backendTlsName(host.node.name, address)] : []));
    }
    return { dbTls, backendTls, ca: ca.certPem };
}
