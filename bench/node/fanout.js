// Chat fan-out: N clients join one meeting, one of them sends M messages; we time how long each message
// takes to reach every client (until the LAST one has it).
//   closed loop (RATE unset or 0): each message after the previous one was acknowledged;
//   open loop (RATE=r): one message every 1/r s whatever the server does, as a speaker who does not wait.
// usage: [RATE=20] [PAUSE=1] [ROUTES=r0,r1] [INSECURE_TLS=1] node fanout.js URL CLIENTS MESSAGES MEETING_ID [tokens.json]
// Through the deploy recipe's nginx (bench/chat.py --processes 2): client j sends the route cookie
// chidao_route=ROUTES[j % count], as a browser has one from its first page (nginx hashes on it; without one
// every socket from 127.0.0.1 would go to the same process); INSECURE_TLS=1 accepts the self-signed certificate.
// It prints one JSON line per phase: {"phase":"connected",...} once every client joined, then (with PAUSE=1
// it first waits for a line on stdin, so the caller can read the server's memory and CPU at rest)
// {"phase":"messages"}, and last the result.
const { io } = require("socket.io-client");
const fs = require("fs");
const readline = require("readline");
const [url, nClients, nMessages, meetingId, tokensFile] = process.argv.slice(2);
const N = parseInt(nClients, 10), M = parseInt(nMessages, 10), MEETING = parseInt(meetingId, 10);
const RATE = parseFloat(process.env.RATE || "0");
const ROUTES = (process.env.ROUTES || "").split(",").filter(Boolean);
const tokens = tokensFile ? JSON.parse(fs.readFileSync(tokensFile, "utf8")) : null;

function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : null; }
function say(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }

function clientOptions(j) {
  const options = { transports: ["websocket"], auth: tokens ? { token: tokens[j % tokens.length] } : {}, reconnection: false, timeout: 60000 };
  if (ROUTES.length) options.extraHeaders = { Cookie: "chidao_route=" + ROUTES[j % ROUTES.length] };
  if (process.env.INSECURE_TLS === "1") options.rejectUnauthorized = false;
  return options;
}

async function connectAll() {
  const sockets = [];
  const t0 = Date.now();
  const batch = 50;  // connect in batches so the server is not flooded by the handshake
  for (let i = 0; i < N; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      group.push(new Promise((resolve, reject) => {
        const s = io(url, clientOptions(j));
        s.on("connect", () => s.emit("meeting:join", { meeting_id: MEETING }, (ack) => ack && ack.ok ? resolve(s) : reject(new Error("join refused: " + JSON.stringify(ack)))));
        s.on("connect_error", reject);
      }));
    }
    sockets.push(...await Promise.all(group));
  }
  return { sockets, connectMs: Date.now() - t0 };
}

function waitForGo() {
  if (process.env.PAUSE !== "1") return Promise.resolve();
  return new Promise((resolve) => readline.createInterface({ input: process.stdin }).once("line", resolve));
}

(async () => {
  const { sockets, connectMs } = await connectAll();
  say({ phase: "connected", connect_ms: connectMs });
  await waitForGo();
  const sent = new Map();       // client_id -> send time
  const remaining = new Map();  // client_id -> receivers still waiting
  const latencies = [];         // ms from send until the LAST client got it
  let done;
  const allDone = new Promise((r) => (done = r));
  let finished = 0, received = 0, errors = 0;
  for (const s of sockets) {
    s.on("chat:message", (m) => {
      if (!remaining.has(m.client_id)) return;
      received++;
      const left = remaining.get(m.client_id) - 1;
      remaining.set(m.client_id, left);
      if (left === 0) {
        latencies.push(Number(process.hrtime.bigint() - sent.get(m.client_id)) / 1e6);
        if (++finished === M) done();
      }
    });
  }
  if (M === 0) done();
  say({ phase: "messages" });
  const sender = sockets[0];
  const t0 = process.hrtime.bigint();
  const send = (k) => new Promise((resolve) => {
    const clientId = "bench-" + process.pid + "-" + k;
    remaining.set(clientId, N);
    sent.set(clientId, process.hrtime.bigint());
    sender.emit("chat:send", { meeting_id: MEETING, body: "Tin nhắn thử số " + k, client_id: clientId }, (ack) => {
      if (!ack || !ack.ok) errors++;
      resolve();
    });
  });
  if (RATE > 0) {
    const start = Date.now();
    for (let k = 0; k < M; k++) {
      const due = start + (k * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      send(k);  // not awaited: the speaker goes on whatever the server does
    }
  } else {
    for (let k = 0; k < M; k++) await send(k);
  }
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 120000))]);
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  latencies.sort((a, b) => a - b);
  say({
    clients: N, messages: M, rate: RATE, delivered: finished, deliveries: received, errors, connect_ms: connectMs,
    total_ms: Math.round(totalMs), deliveries_per_s: Math.round(received / (totalMs / 1000)),
    p50_ms: pct(latencies, 0.5), p95_ms: pct(latencies, 0.95), p99_ms: pct(latencies, 0.99),
  });
  for (const s of sockets) s.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
