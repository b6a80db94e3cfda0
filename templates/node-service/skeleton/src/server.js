// The HTTP service: routes, one JSON log line per request, and a graceful
// shutdown that lets in-flight requests finish.
import http from "node:http";

/** log writes one JSON line on stderr, the shape log collectors expect. */
export function log(level, msg, fields = {}) {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
}

/** handle routes one request. */
export function handle(req, res) {
  const { pathname } = new URL(req.url, "http://localhost");
  if (pathname === "/healthz") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}\n');
    return;
  }
  if (pathname === "/" && req.method === "GET") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("{{ .name }}\n");
    return;
  }
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
}

/** createServer returns the service's server with request logging. */
export function createServer({ logger = log } = {}) {
  const server = http.createServer((req, res) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger("info", "request", { method: req.method, path: req.url, status: res.statusCode, duration_ms: ms });
    });
    handle(req, res);
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 30_000;
  return server;
}

/**
 * shutdown stops accepting connections and waits for in-flight requests,
 * closing idle keep-alive connections at once and everything after timeoutMs.
 */
export function shutdown(server, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close((err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
