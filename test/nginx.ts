import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./cluster.ts";
import { eventually } from "./harness.ts";

const NGINX = "/usr/sbin/nginx";

/**
 * Whether nginx is installed (Debian's nginx or nginx-light; .ci/run installs it). In CI a missing nginx fails the
 * run; locally the proxy tests are skipped with a warning.
 */
export function nginxAvailable(): boolean {
  if (spawnSync(NGINX, ["-v"]).status === 0) return true;
  if (process.env.CI) throw new Error("CI must run the proxy tests: apt-get install nginx-light (see .ci/run)");
  console.warn(`${NGINX} is not installed: skipping the tests behind nginx.`);
  return false;
}

/**
 * deploy/nginx.conf as shipped, with the sample instances' addresses replaced by `upstreams` and the TLS listener by
 * a plain one on 127.0.0.1:`port`: everything else (upstream health, headers, retries, locations) is the real file.
 */
export function localNginxSite(upstreams: string[], port: number): string {
  const shipped = readFileSync(new URL("../deploy/nginx.conf", import.meta.url), "utf8");
  let index = 0;
  const site = shipped
    .replace(/server 10\.0\.0\.\d+:4000/g, () => `server ${upstreams[index++] ?? "127.0.0.1:9"}`)
    .replace(/listen 443 ssl[^;]*;/, `listen 127.0.0.1:${port};`)
    .replace(/^\s*ssl_\S+\s+[^;]+;\s*$/gm, "");
  if (index !== upstreams.length)
    throw new Error(`deploy/nginx.conf names ${index} instances, not ${upstreams.length}`);
  return site;
}

/** A private nginx in the foreground, serving `localNginxSite(upstreams)` on a free port. */
export async function startNginx(upstreams: string[]) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "live-support-nginx-"));
  // Workers drop root privileges (user nobody) and must still reach the temp folders.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "site.conf"), localNginxSite(upstreams, port));
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(dir, "error.log"), "utf8")}`);
      return (await fetch(`${url}/healthz`).catch(() => null))?.status === 200;
    },
    { what: `nginx on port ${port}` },
  );
  return {
    url,
    /** nginx's error log, where it reports upstreams it marked failed. */
    errorLog: () => readFileSync(join(dir, "error.log"), "utf8"),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
