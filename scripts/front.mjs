// A TCP pass-through in front of workerd that closes TLS connections at once.
//
// containers/image (skopeo, podman, buildah) and docker try HTTPS before plain HTTP, even for
// 127.0.0.1. workerd's HTTP listener waits 10 s for a request line that a TLS handshake never
// sends, so every registry ping costs 10 s before the client falls back. Closed at once, the
// client falls back at once. Everything else is piped through untouched.

import net from "node:net";

/**
 * Listens on `host:port` (port 0: any free one) and forwards each connection to `upstream`
 * (a URL). Resolves to the listening server.
 */
export function front(upstream, { host = "127.0.0.1", port = 0 } = {}) {
  const target = new URL(upstream);
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    client.on("error", () => {});
    client.once("data", (first) => {
      // 0x16 opens a TLS handshake record; no HTTP method starts with it.
      if (first[0] === 0x16) {
        client.destroy();
        return;
      }

      client.pause();
      const worker = net.connect(Number(target.port), target.hostname, () => {
        worker.setNoDelay(true);
        worker.write(first);
        client.pipe(worker);
        worker.pipe(client);
      });
      worker.on("error", () => client.destroy());
      client.on("close", () => worker.destroy());
    });
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** A port nothing listens on right now, for a child process to take. */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
