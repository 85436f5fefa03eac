// Recorded probe output (scripts/probe.sh on test hosts) and runner probes, shared by the verify unit tests.

import type { RunnerProbe } from "../../tools/verify/observe";

/** The seed design installed by hand (apt install nginx php-fpm mariadb-server; bind-address = 0.0.0.0). */
export const HAND_BUILT = `### id
0
### now
1796246297
### os
Debian GNU/Linux 12 (bookworm)
### listen
LISTEN 0      511    0.0.0.0:80   0.0.0.0:* users:(("nginx",pid=6906,fd=5),("nginx",pid=6905,fd=5))
LISTEN 0      128    0.0.0.0:22   0.0.0.0:* users:(("sshd",pid=77,fd=3))
LISTEN 0      80     0.0.0.0:3306 0.0.0.0:* users:(("mariadbd",pid=7973,fd=21))
LISTEN 0      511       [::]:80      [::]:* users:(("nginx",pid=6906,fd=6))
### ufw
!absent ufw not installed
### nginx
http {
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; # Dropping SSLv3, ref: POODLE
	include /etc/nginx/sites-enabled/*;
}
# configuration file /etc/nginx/sites-enabled/default:
server {
	listen 80 default_server;
	listen [::]:80 default_server;
	root /var/www/html;
	server_name _;
}
### haproxy
!absent haproxy not installed
### mysql-vars
0.0.0.0	3306	1	0	NO
### mysql-users
mariadb.sys	localhost	
root	localhost	
mysql	localhost	
### mysql-replica
### units
nginx.service enabled active
php8.2-fpm.service enabled active
mariadb.service enabled active
haproxy.service not-found inactive
prometheus-node-exporter.service not-found inactive
seed-web-backup.timer not-found inactive
ufw.service not-found inactive
### backup
!absent no backup directory
### exporter
!absent nothing listens on 9100
### iptables
!absent iptables not installed
### nft
!absent nft not installed
### mysql-schemas
schema	information_schema
schema	mysql
schema	performance_schema
schema	sys
### end
`;

/** One hardened server as the program leaves it (firewall, TLS, loopback MySQL, exporter, backups). */
export const HARDENED = `### id
0
### now
1796246297
### listen
LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=1,fd=5))
LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:(("nginx",pid=1,fd=6))
LISTEN 0 80 127.0.0.1:3306 0.0.0.0:* users:(("mariadbd",pid=2,fd=21))
LISTEN 0 4096 127.0.0.1:9100 0.0.0.0:* users:(("prometheus-node",pid=3,fd=3))
### ufw
Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), deny (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW IN    Anywhere
80/tcp                     ALLOW IN    Anywhere
443/tcp                    ALLOW IN    Anywhere
22/tcp (v6)                ALLOW IN    Anywhere (v6)
### nginx
server {
    listen 80;
    server_name foobar.com www.foobar.com;
    return 301 https://$host$request_uri;
}
server {
    listen 443 ssl;
    server_name foobar.com www.foobar.com;
    root /var/www/foobar.com;
    ssl_protocols TLSv1.2 TLSv1.3;
    add_header Strict-Transport-Security "max-age=31536000" always;
    location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }
}
### haproxy
!absent haproxy not installed
### mysql-vars
127.0.0.1	3306	1	0	YES
### mysql-users
root	localhost	
app	localhost	
### mysql-replica
### units
nginx.service enabled active
prometheus-node-exporter.service enabled active
seed-web-backup.timer enabled active
ufw.service enabled active
### backup
1796240000.5 app-20261202-0315.sql.gz
### exporter
127.0.0.1 250
### iptables
*filter
:INPUT DROP [0:0]
:ufw-user-input - [0:0]
-A INPUT -j ufw-user-input
-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
### nft
!absent nft not installed
### mysql-schemas
schema	app
schema	information_schema
schema	mysql
schema	performance_schema
schema	sys
### end
`;

export const plainHttp: RunnerProbe = { ports: { 22: true, 80: true, 443: false, 3306: true }, http: { status: 200 } };
export const selfSignedTls = (protocols: string[] = ["TLSv1.2", "TLSv1.3"]): RunnerProbe => ({
    ports: { 22: true, 80: true, 443: true, 3306: false },
    http: { status: 301, location: "https://foobar.com/" },
    tls: {
        protocols: Object.fromEntries(["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].map((v) => [v, protocols.includes(v)])),
        certificate: { subject: "foobar.com", issuer: "foobar.com", selfSigned: true, trusted: false, trustError: "DEPTH_ZERO_SELF_SIGNED_CERT", names: ["foobar.com", "www.foobar.com"], daysLeft: 3650 },
        hstsMaxAge: 31536000,
    },
});


/** HARDENED with ufw disabled (`ufw disable` flushes its chains: nothing filters any more). */
export const UFW_DISABLED = (text: string) =>
    text.replace(/### ufw\n[\s\S]*?### nginx/, "### ufw\nStatus: inactive\n### nginx")
        .replace(/### iptables\n[\s\S]*?### nft/, "### iptables\n*filter\n:INPUT ACCEPT [0:0]\n:ufw-user-input - [0:0]\nCOMMIT\n### nft");

/** HARDENED probed by a user who cannot read the packet filter (no root). */
export const FILTER_UNREADABLE = (text: string) =>
    text.replace(/### ufw\n[\s\S]*?### nginx/, "### ufw\n!unavailable not root\n### nginx")
        .replace(/### iptables\n[\s\S]*?### mysql-schemas/, "### iptables\n!unavailable not root\n### nft\n!unavailable not root\n### mysql-schemas");
