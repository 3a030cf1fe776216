// Chat fan-out: N clients join one meeting, one of them sends M messages (one at a time,
// each after the previous was acked); we time how long each message takes to reach every client.
// usage: node fanout.js URL CLIENTS MESSAGES MEETING_ID [tokens.json]
const { io } = require("socket.io-client");
const fs = require("fs");
const [url, nClients, nMessages, meetingId, tokensFile] = process.argv.slice(2);
const N = parseInt(nClients, 10), M = parseInt(nMessages, 10), MEETING = parseInt(meetingId, 10);
const tokens = tokensFile ? JSON.parse(fs.readFileSync(tokensFile, "utf8")) : null;

function pct(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]; }

async function connectAll() {
  const sockets = [];
  const t0 = Date.now();
  const batch = 50;  // connect in batches so the server is not flooded by the handshake
  for (let i = 0; i < N; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      group.push(new Promise((resolve, reject) => {
        const s = io(url, { transports: ["websocket"], auth: tokens ? { token: tokens[j % tokens.length] } : {}, reconnection: false, timeout: 60000 });
        s.on("connect", () => s.emit("meeting:join", { meeting_id: MEETING }, (ack) => ack && ack.ok ? resolve(s) : reject(new Error("join refused: " + JSON.stringify(ack)))));
        s.on("connect_error", reject);
      }));
    }
    sockets.push(...await Promise.all(group));
  }
  return { sockets, connectMs: Date.now() - t0 };
}

(async () => {
  const { sockets, connectMs } = await connectAll();
  const sent = new Map();       // client_id -> send time
  const remaining = new Map();  // client_id -> receivers still waiting
  const latencies = [];         // ms from send until the LAST client got it
  let done;
  const allDone = new Promise((r) => (done = r));
  let finished = 0;
  for (const s of sockets) {
    s.on("chat:message", (m) => {
      if (!remaining.has(m.client_id)) return;
      const left = remaining.get(m.client_id) - 1;
      remaining.set(m.client_id, left);
      if (left === 0) {
        latencies.push(Number(process.hrtime.bigint() - sent.get(m.client_id)) / 1e6);
        if (++finished === M) done();
      }
    });
  }
  const sender = sockets[0];
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < M; k++) {
    const clientId = "bench-" + process.pid + "-" + k;
    remaining.set(clientId, N);
    sent.set(clientId, process.hrtime.bigint());
    await new Promise((resolve) => sender.emit("chat:send", { meeting_id: MEETING, body: "Tin nhắn thử số " + k, client_id: clientId }, resolve));
  }
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 120000))]);
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({
    clients: N, messages: M, delivered: finished, connect_ms: connectMs,
    total_ms: Math.round(totalMs), deliveries_per_s: Math.round((finished * N) / (totalMs / 1000)),
    p50_ms: +pct(latencies, 0.5).toFixed(2), p95_ms: +pct(latencies, 0.95).toFixed(2), p99_ms: +pct(latencies, 0.99).toFixed(2),
  }));
  for (const s of sockets) s.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
