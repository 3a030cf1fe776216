/* The room's clock: the server's time as the page best knows it (a wrong clock on a phone must not skew the
 * timers), "m:ss" durations, and one tick a second for whoever shows a running time. */
let skew = 0; // server minus this device, in ms
const tickers = new Set();

/** Learn the server's time from an ISO string it sent just now. */
export function syncTo(serverNowIso) {
  const t = Date.parse(serverNowIso || "");
  if (!Number.isNaN(t)) skew = t - Date.now();
}

/** Seconds since an ISO time, on the server's clock (0 if unknown). */
export function secondsSince(iso) {
  const t = Date.parse(iso || "");
  if (Number.isNaN(t)) return 0;
  return Math.max(0, Math.floor((Date.now() + skew - t) / 1000));
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
}

/** A timer's look against a plan in minutes: "" (fine or no plan), "is-near" (the last fifth), "is-over". */
export function planState(seconds, plannedMinutes) {
  if (!plannedMinutes) return "";
  const planned = plannedMinutes * 60;
  if (seconds > planned) return "is-over";
  if (seconds >= planned * 0.8) return "is-near";
  return "";
}

/** Call fn every second (while the page is open). */
export function everySecond(fn) {
  tickers.add(fn);
  fn();
}

setInterval(() => { tickers.forEach((fn) => { try { fn(); } catch (e) { console.error(e); } }); }, 1000);
