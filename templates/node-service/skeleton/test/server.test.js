import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, shutdown } from "../src/server.js";

async function withServer(fn) {
  const server = createServer({ logger: () => {} });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await fn(base, server);
  } finally {
    if (server.listening) await shutdown(server, 1_000);
  }
}

test("routes", async (t) => {
  const cases = [
    { method: "GET", path: "/healthz", status: 200, body: '{"status":"ok"}\n' },
    { method: "GET", path: "/", status: 200, body: "{{ .name }}\n" },
    { method: "POST", path: "/healthz", status: 405 },
    { method: "GET", path: "/nope", status: 404 },
  ];
  await withServer(async (base) => {
    for (const c of cases) {
      await t.test(`${c.method} ${c.path}`, async () => {
        const res = await fetch(base + c.path, { method: c.method });
        assert.equal(res.status, c.status);
        const body = await res.text();
        if (c.body !== undefined) assert.equal(body, c.body);
      });
    }
  });
});

test("graceful shutdown stops the server", async () => {
  await withServer(async (base, server) => {
    const res = await fetch(base + "/healthz");
    assert.equal(res.status, 200);
    await res.text();
    await shutdown(server, 1_000);
    assert.equal(server.listening, false);
    await assert.rejects(fetch(base + "/healthz"));
  });
});
