/* What the outcome panels of the live room share: their initial state and small helpers. */
export { room } from "./hub.js";

const App = window.App;
/** The panels' initial state (JSON in the page): minutes, votes, speakers, conclusions, perms, urls. */
export const D = JSON.parse(document.getElementById("outcomes-data").textContent);
export const P = D.perms || {};
export const base = D.urls.api; // /api/v1/meetings/<id>

export function $(id) { return document.getElementById(id); }
export function icon(name) { return App.el("i", "bi bi-" + name); }
export function showError(err) { App.toast((err && err.message) || App.t("error"), "danger"); }

/** A panel's count, in its card header and on its phone tab. */
export function setBadges(name, count) {
  document.querySelectorAll('[data-badge="' + name + '"]').forEach((badge) => {
    badge.textContent = String(count);
    badge.classList.toggle("d-none", count === 0);
  });
}

/** An "empty" note: its text, shown when there is nothing. */
export function setEmpty(id, key, nothing) {
  const empty = $(id);
  empty.querySelector("span").textContent = App.t(key);
  empty.classList.toggle("d-none", !nothing);
}
