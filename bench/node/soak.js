// The soak's load (bench/soak.py): N authenticated sockets in one live meeting, each sending a chat message
// at random moments (exponential gaps, MEAN_INTERVAL_S on average: 200 sockets every 20 s is 10 messages/s),
// each acknowledged, every message expected at every socket (the sender's included).
// usage: [MEAN_INTERVAL_S=20] [DURATION_S=1800] [REPORT_S=30] [GRACE_S=30] [ACK_TIMEOUT_S=30]
//        node soak.js URL CLIENTS MEETING_ID tokens.json
// Prints {"phase":"connected"}, waits for a line on stdin (the caller reads the server at rest), then one
// {"phase":"interval",...} line every REPORT_S seconds with that interval's counts, and {"phase":"done"} last.
// A message is missed by every socket that does not have it GRACE_S after it was sent (a later arrival is
// counted as late, not taken back). A socket that drops reconnects and joins again with the last id it saw,
// as the browser does: what the join's answer replays is counted apart (replayed), and the drop is an error.
const { io } = require("socket.io-client");
const fs = require("fs");
const readline = require("readline");
const [url, nClients, meetingId, tokensFile] = process.argv.slice(2);
const N = parseInt(nClients, 10), MEETING = parseInt(meetingId, 10);
const env = (name, fallback) => parseFloat(process.env[name] || fallback);
const MEAN_S = env("MEAN_INTERVAL_S", "20"), DURATION_S = env("DURATION_S", "1800"), REPORT_S = env("REPORT_S", "30");
const GRACE_S = env("GRACE_S", "30"), ACK_TIMEOUT_S = env("ACK_TIMEOUT_S", "30");
const tokens = JSON.parse(fs.readFileSync(tokensFile, "utf8"));

function say(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }
function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : null; }
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const pending = new Map();  // client_id -> {sentAt, got: Uint8Array(N), count}
const finished = new Set();  // client ids already settled (complete or missed), to tell late and duplicate arrivals
let interval = freshInterval();
function freshInterval() {
  return { sent: 0, acked: 0, ack_errors: 0, ack_error_reasons: {}, ack_timeouts: 0, disconnects: 0,
           reconnect_failures: 0, deliveries: 0, replayed: 0, late: 0, duplicates: 0, missed: 0, missed_messages: 0,
           complete: 0, latencies: [], acks: [] };
}

function arrived(k, m, replay) {
  const entry = pending.get(m.client_id);
  if (!entry) {
    if (finished.has(m.client_id)) interval.late++;
    return;  // a message from before the soak (the join's history) or already settled
  }
  if (entry.got[k]) { interval.duplicates++; return; }
  entry.got[k] = 1;
  entry.count++;
  if (replay) interval.replayed++; else interval.deliveries++;
  if (entry.count === N) {
    interval.latencies.push(ms(entry.sentAt));
    interval.complete++;
    settle(m.client_id);
  }
}

function settle(clientId) {
  pending.delete(clientId);
  finished.add(clientId);
}

function sweep() {  // what is still missing GRACE_S after its send is missed
  const limit = GRACE_S * 1000;
  for (const [clientId, entry] of pending) {
    if (entry.acked && ms(entry.sentAt) > limit) {
      interval.missed += N - entry.count;
      interval.missed_messages++;
      settle(clientId);
    }
  }
}

function client(k) {
  const state = { socket: null, lastId: 0, joined: false };
  const s = io(url, { transports: ["websocket"], auth: { token: tokens[k % tokens.length] }, reconnection: true,
                      reconnectionDelay: 500, timeout: 60000 });
  state.socket = s;
  s.on("chat:message", (m) => { state.lastId = Math.max(state.lastId, m.id); arrived(k, m, false); });
  s.on("disconnect", () => { if (state.joined) interval.disconnects++; state.joined = false; });
  s.io.on("reconnect_error", () => interval.reconnect_failures++);
  state.ready = new Promise((resolve, reject) => {
    s.on("connect_error", (e) => { if (!state.everJoined) reject(e); });
    s.on("connect", () => {
      const join = state.everJoined ? { meeting_id: MEETING, last_message_id: state.lastId } : { meeting_id: MEETING };
      s.emit("meeting:join", join, (ack) => {
        if (!ack || !ack.ok) { reject(new Error("join refused: " + JSON.stringify(ack))); return; }
        if (state.everJoined) for (const m of ack.messages || []) { state.lastId = Math.max(state.lastId, m.id); arrived(k, m, true); }
        state.joined = state.everJoined = true;
        resolve();
      });
    });
  });
  return state;
}

function sendFrom(k, state, seq) {
  const clientId = "soak-" + process.pid + "-" + k + "-" + seq;
  const entry = { sentAt: process.hrtime.bigint(), got: new Uint8Array(N), count: 0, acked: false };
  pending.set(clientId, entry);
  interval.sent++;
  state.socket.timeout(ACK_TIMEOUT_S * 1000).emit("chat:send",
    { meeting_id: MEETING, body: "Tin nhắn soak " + k + "-" + seq, client_id: clientId }, (err, ack) => {
      if (err) { interval.ack_timeouts++; settle(clientId); return; }
      if (!ack || !ack.ok) {  // not stored: nobody is to receive it
        const reason = (ack && ack.error) || "no answer";
        interval.ack_errors++;
        interval.ack_error_reasons[reason] = (interval.ack_error_reasons[reason] || 0) + 1;
        settle(clientId);
        return;
      }
      interval.acks.push(ms(entry.sentAt));
      interval.acked++;
      entry.acked = true;
    });
}

function report(t0) {
  sweep();
  const done = interval;
  interval = freshInterval();
  done.latencies.sort((a, b) => a - b);
  done.acks.sort((a, b) => a - b);
  const { latencies, acks, ...counts } = done;
  say({ phase: "interval", t_s: Math.round(ms(t0) / 100) / 10, ...counts, pending: pending.size,
        p50_ms: pct(latencies, 0.5), p99_ms: pct(latencies, 0.99), max_ms: latencies.length ? latencies[latencies.length - 1] : null,
        ack_p99_ms: pct(acks, 0.99) });
}

(async () => {
  const t = process.hrtime.bigint();
  const clients = [];
  for (let i = 0; i < N; i += 50) {  // in batches, as fanout.js connects
    const group = [];
    for (let k = i; k < Math.min(N, i + 50); k++) group.push(client(k));
    await Promise.all(group.map((c) => c.ready));
    clients.push(...group);
  }
  say({ phase: "connected", connect_ms: Math.round(ms(t)) });
  await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once("line", resolve));
  const t0 = process.hrtime.bigint();
  const end = Date.now() + DURATION_S * 1000;
  const gap = () => -Math.log(1 - Math.random()) * MEAN_S * 1000;  // exponential: a Poisson process per socket
  clients.forEach((state, k) => {
    let seq = 0;
    const next = () => {
      if (Date.now() >= end) return;
      if (state.joined) sendFrom(k, state, seq++);
      setTimeout(next, gap());
    };
    setTimeout(next, gap());
  });
  const timer = setInterval(() => report(t0), REPORT_S * 1000);
  await new Promise((r) => setTimeout(r, DURATION_S * 1000));
  clearInterval(timer);
  // the last messages get their grace (and their acks their timeout) before the final count
  const settleBy = Date.now() + (Math.max(GRACE_S, ACK_TIMEOUT_S) + 2) * 1000;
  while (pending.size && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 200));
  for (const entry of pending.values()) entry.acked = true;  // an ack still missing was counted as a timeout
  report(t0);
  say({ phase: "done", pending: pending.size });
  for (const c of clients) c.socket.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
