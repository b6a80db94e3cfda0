// Entry point: listen on $PORT (default 8080) and drain on SIGINT/SIGTERM.
import { createServer, log, shutdown } from "./server.js";

const port = Number(process.env.PORT ?? 8080);
const server = createServer();

server.listen(port, () => log("info", "listening", { port }));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    log("info", "shutting down", { signal });
    try {
      await shutdown(server);
      process.exit(0);
    } catch (err) {
      log("error", "shutdown", { error: String(err) });
      process.exit(1);
    }
  });
}
