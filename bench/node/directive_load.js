// Directive delivery (bench/directive.py): N officer sockets connect; then a leader POSTs D directives, one
// every INTERVAL ms whether or not the previous answered (open loop), each to every agency; we time from the
// moment a POST is sent until each officer's socket has that directive's directive:new.
// usage: node directive_load.js CONFIG.json
//   CONFIG: {url, clients: [socket auth objects], post: {url, headers, body}, directives, interval_ms}
//   Each directive's title is body.title with " #<k>" appended: how an event is matched to its POST.
// It prints {"phase":"connected",...} once every socket is connected, waits for a line on stdin (the caller
// reads the server's CPU at rest), and prints the result when every officer has every directive (or after
// 120 s: "delivered" says how many directives reached everyone).
const { io } = require("socket.io-client");
const fs = require("fs");
const readline = require("readline");
const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const N = config.clients.length, D = config.directives;

function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : null; }
function say(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }
function ms(from) { return Number(process.hrtime.bigint() - from) / 1e6; }
function round(x) { return x === null ? null : Math.round(x * 10) / 10; }

async function connectAll() {
  const sockets = [];
  const t0 = Date.now();
  const batch = 50;  // in batches, so the server is not flooded by the handshakes
  for (let i = 0; i < N; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      group.push(new Promise((resolve, reject) => {
        const s = io(config.url, { transports: ["websocket"], auth: config.clients[j], reconnection: false, timeout: 60000 });
        s.on("connect", () => resolve(s));
        s.on("connect_error", reject);
      }));
    }
    sockets.push(...await Promise.all(group));
  }
  return { sockets, connectMs: Date.now() - t0 };
}

(async () => {
  const { sockets, connectMs } = await connectAll();
  // fetch loads its HTTP client on first use: not a cost of the first directive
  await fetch(config.url + "/healthz").then((r) => r.text()).catch(() => null);
  say({ phase: "connected", connect_ms: connectMs });
  await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once("line", resolve));
  const byTitle = new Map();  // title -> directive index
  const sent = [], remaining = [], lastMs = [], postMs = [], latencies = [];
  let finished = 0, deliveries = 0, bells = 0, errors = 0, done;
  const allDone = new Promise((r) => (done = r));
  for (const s of sockets) {
    s.on("directive:new", (m) => {
      const k = byTitle.get(m.title);
      if (k === undefined) return;
      const t = ms(sent[k]);
      latencies.push(t);
      deliveries++;
      if (--remaining[k] === 0) {
        lastMs[k] = t;
        if (++finished === D) done();
      }
    });
    s.on("notification:new", () => bells++);
  }
  const post = async (k) => {
    const title = config.post.body.title + " #" + k;
    byTitle.set(title, k);
    remaining[k] = N;
    sent[k] = process.hrtime.bigint();
    try {
      const res = await fetch(config.post.url, {
        method: "POST", headers: { "Content-Type": "application/json", ...config.post.headers },
        body: JSON.stringify({ ...config.post.body, title }),
      });
      await res.text();
      if (res.status !== 201) errors++;
    } catch (e) {
      errors++;
    }
    postMs.push(ms(sent[k]));
  };
  const t0 = process.hrtime.bigint();
  const start = Date.now(), posts = [];
  for (let k = 0; k < D; k++) {
    const wait = start + k * config.interval_ms - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    posts.push(post(k));  // not awaited: the leader goes on whatever the server does
  }
  if (D === 0) done();
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 120000))]);
  await Promise.all(posts);
  await new Promise((r) => setTimeout(r, 200));  // the bells that go out after directive:new
  latencies.sort((a, b) => a - b);
  const lastInOrder = Array.from(lastMs, (x) => (x === undefined ? null : round(x)));  // in the order sent
  const lastSorted = lastMs.filter((x) => x !== undefined).sort((a, b) => a - b);
  postMs.sort((a, b) => a - b);
  say({
    clients: N, directives: D, delivered: finished, deliveries, expected: N * D, bells, errors, connect_ms: connectMs,
    total_ms: Math.round(ms(t0)), p50_ms: round(pct(latencies, 0.5)), p99_ms: round(pct(latencies, 0.99)),
    max_ms: round(latencies.length ? latencies[latencies.length - 1] : null),
    last_officer_p50_ms: round(pct(lastSorted, 0.5)), last_officer_ms: lastInOrder,
    post_p50_ms: round(pct(postMs, 0.5)),
    post_max_ms: round(postMs.length ? postMs[postMs.length - 1] : null),
  });
  for (const s of sockets) s.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
