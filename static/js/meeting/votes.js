/* The votes panel: the chair opens a vote, attendees cast a ballot, everyone sees the tally live
 * (vote:opened, vote:tally, vote:closed). */
import { room, D, P, base, $, icon, showError, setBadges, setEmpty } from "./panel.js";

const App = window.App;
const { t, fmt, el } = App;
const me = D.user_id;
const votes = new Map();
(D.votes || []).forEach((v) => { votes.set(v.id, v); });

function render() {
  const list = $("vote-list");
  list.replaceChildren();
  const items = Array.from(votes.values()).sort((a, b) => {
    if (a.status !== b.status) return a.status === "open" ? -1 : 1;
    return b.id - a.id;
  });
  items.forEach((v) => { list.appendChild(voteCard(v)); });
  setEmpty("votes-empty", "oc_no_votes", items.length === 0);
  setBadges("votes", items.filter((v) => v.status === "open").length);
}

function progressBar(pct) {
  const bar = el("div", "progress vote-bar mt-1");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuenow", String(pct));
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  const fill = el("div", "progress-bar");
  fill.style.width = pct + "%";
  bar.appendChild(fill);
  return bar;
}

/** One option of a vote: a button while it can be chosen, its count, its bar, who chose it. */
function optionRow(v, option, i, voters) {
  const canVote = P.can_cast_ballot && v.status === "open";
  const row = el(canVote ? "button" : "div", "vote-option w-100 text-start mb-1" + (canVote ? " btn btn-sm btn-outline-primary" : " px-1"));
  if (canVote) {
    row.type = "button";
    row.addEventListener("click", () => { castBallot(v.id, i); });
    if (v.my_choice === i) row.classList.add("active");
    row.setAttribute("aria-pressed", v.my_choice === i ? "true" : "false");
  }
  const line = el("div", "d-flex justify-content-between gap-2");
  const label = el("span", "", option);
  if (v.my_choice === i) { label.prepend(icon("check-circle-fill me-1")); }
  line.appendChild(label);
  const count = v.counts ? v.counts[i] : 0;
  const pct = v.total ? Math.round((100 * count) / v.total) : 0;
  line.appendChild(el("span", "fw-semibold vote-count", count + " · " + pct + "%"));
  row.appendChild(line);
  row.appendChild(progressBar(pct));
  if (!v.anonymous && voters) row.appendChild(el("div", "small text-body-secondary mt-1 vote-names", voters.join(", ")));
  return row;
}

function voteCard(v) {
  const card = el("div", "vote-card border rounded p-2" + (v.status === "open" ? " vote-open" : ""));
  card.dataset.voteId = v.id;
  // the badges above the question, so the question has the card's whole width (a phone's too)
  const badges = el("div", "d-flex flex-wrap gap-1 mb-1");
  badges.appendChild(el("span", "badge " + (v.status === "open" ? "text-bg-danger" : "text-bg-secondary"), t("oc_" + v.status)));
  badges.appendChild(el("span", "badge text-bg-light border", v.anonymous ? t("oc_anonymous") : t("oc_named")));
  card.appendChild(badges);
  card.appendChild(el("div", "fw-semibold vote-question mb-2", v.question));
  const byChoice = {};
  (v.ballots || []).forEach((b) => { (byChoice[b.choice] = byChoice[b.choice] || []).push(b.full_name); });
  v.options.forEach((option, i) => { card.appendChild(optionRow(v, option, i, byChoice[i])); });
  const foot = el("div", "d-flex justify-content-between align-items-center mt-2 small text-body-secondary");
  foot.appendChild(el("span", "", fmt("oc_ballots", { n: v.total || 0 })));
  if (P.can_run_votes && v.status === "open") {
    const close = el("button", "btn btn-sm btn-outline-danger", t("oc_close_vote"));
    close.type = "button";
    close.addEventListener("click", () => { closeVote(v.id); });
    foot.appendChild(close);
  }
  card.appendChild(foot);
  return card;
}

async function castBallot(voteId, choice) {
  try {
    const ack = await App.emit("vote:cast", { vote_id: voteId, choice: choice });
    votes.set(voteId, ack.vote);
    render();
  } catch (err) { showError(err); }
}
async function closeVote(voteId) {
  try {
    const ack = await App.emit("vote:close", { vote_id: voteId });
    votes.set(voteId, Object.assign({}, votes.get(voteId), ack.vote));
    render();
  } catch (err) { showError(err); }
}

const voteForm = $("vote-open-form");
function showFieldErrors(fields) {
  Object.keys(fields).forEach((name) => {
    const input = voteForm.querySelector('[name="' + name + '"]');
    const fb = voteForm.querySelector('[data-field="' + name + '"]');
    if (input) input.classList.add("is-invalid");
    if (fb) fb.textContent = fields[name];
  });
}
if (voteForm) {
  voteForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const submit = $("vote-open-submit");
    if (submit.disabled) return;
    voteForm.querySelectorAll(".is-invalid").forEach((x) => { x.classList.remove("is-invalid"); });
    const payload = {
      meeting_id: D.meeting_id,
      question: $("vote-question").value,
      options: $("vote-options").value.split("\n").map((s) => s.trim()).filter(Boolean),
      anonymous: $("vote-anonymous").checked,
    };
    submit.disabled = true;
    try {
      const ack = await App.emit("vote:open", payload);
      votes.set(ack.vote.id, ack.vote);
      render();
      $("vote-question").value = "";
      $("vote-open-box").open = false;
    } catch (err) {
      if (err.ack && err.ack.fields) showFieldErrors(err.ack.fields);
      else showError(err);
    } finally {
      submit.disabled = false;
    }
  });
}

// a vote opened while the user looks elsewhere (chat, minutes...): say so, one tap away
function announceVote(v) {
  if (room.panelInView("votes")) return;
  room.markNews("votes");
  const toast = App.toast(fmt("oc_vote_opened", { q: v.question }), "primary", "#room-votes");
  const link = toast && toast.querySelector("a");
  if (!link) return;
  link.classList.add("vote-toast");
  link.addEventListener("click", (e) => {
    e.preventDefault();
    room.showPanel("votes");
    bootstrap.Toast.getOrCreateInstance(toast).hide();
  });
}

room.on("vote:opened", (v) => {
  const fresh = !votes.has(v.id);
  if (fresh) { v.my_choice = null; votes.set(v.id, v); }
  render();
  if (fresh) announceVote(v);
});
room.on("vote:tally", (p) => {
  const v = votes.get(p.vote_id);
  if (!v) { refresh(); return; }
  v.counts = p.counts; v.total = p.total;
  if (p.ballot) { // a named vote: the one ballot that changed
    v.ballots = (v.ballots || []).filter((b) => b.user_id !== p.ballot.user_id);
    v.ballots.push(p.ballot);
    v.ballots.sort((a, b) => a.full_name.localeCompare(b.full_name, "vi"));
  }
  if (p.vote_id && p.ballot && p.ballot.user_id === me) v.my_choice = p.ballot.choice;
  render();
});
room.on("vote:closed", (p) => {
  const old = votes.get(p.id) || {};
  votes.set(p.id, Object.assign({}, p, { my_choice: old.my_choice === undefined ? null : old.my_choice }));
  render();
});
room.on("status", (status) => {
  const s = status && status.status ? status.status : status;
  const openBox = $("vote-open-box");
  if (openBox && (s === "ended" || s === "cancelled")) openBox.classList.add("d-none");
});

/** After a reconnect, or a tally of a vote not seen yet: the votes as they are now. */
export async function refresh() {
  try {
    const res = await App.api("GET", base + "/votes");
    votes.clear();
    res.items.forEach((v) => { votes.set(v.id, v); });
    render();
  } catch { /* the next event or reconnect refreshes */ }
}

render();
