/* The leader's tracking board: sortable per-agency table, ranking, Chart.js charts,
   refreshed live on assignment:updated and directive:new. Text only via textContent. */
(function () {
  "use strict";
  const { t, fmt, pct } = window.App;
  const dataEl = document.getElementById("dashboard-data");
  if (!dataEl) return;
  const initial = JSON.parse(dataEl.textContent);
  const statsUrl = initial.stats_url;
  let rows = initial.agencies || [];
  let sortKey = "overdue";
  let sortDir = "desc";

  const TRACKING = ["on_track", "due_soon", "overdue", "completed_on_time", "completed_late"];
  const COLORS = { on_track: "#0d6efd", due_soon: "#fd7e14", overdue: "#dc3545", completed_on_time: "#198754", completed_late: "#6c757d" };

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    let s = Math.max(Math.round(seconds), 0);
    if (s < 60) return fmt("dur_seconds", { s: s });
    let m = Math.floor(s / 60);
    if (m < 60) return fmt("dur_minutes", { m: m });
    let h = Math.floor(m / 60);
    m = m % 60;
    if (h < 24) return fmt("dur_hours", { h: h, m: m });
    const d = Math.floor(h / 24);
    h = h % 24;
    return fmt("dur_days", { d: d, h: h });
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  /** The list of the assignments behind one number (the board's filters kept), as the server draws it. */
  function drillUrl(params) {
    const url = new URL(initial.drill_url, window.location.origin);
    Object.keys(params).forEach((key) => url.searchParams.set(key, params[key]));
    return url.pathname + url.search;
  }

  /** A cell with an agency's count: a link to its assignments when there are any (on the province's level). */
  function countCell(r, value, text, cls, params) {
    const td = cell("", cls);
    if (!value || !initial.drill_url) { td.textContent = text; return td; }
    const a = document.createElement("a");
    a.className = "drill-link";
    a.dataset.drill = "";
    a.href = drillUrl(Object.assign({ agency_id: r.agency_id }, params));
    a.textContent = text;
    td.append(a);
    return td;
  }

  /** The board of the level below a row, the board's filters kept. */
  function levelUrl(agencyId) {
    const url = new URL(initial.level_url, window.location.origin);
    url.searchParams.set("level", String(agencyId));
    return url.pathname + url.search;
  }

  /** The officer mark after an officer's name. */
  function officerBadge() {
    const badge = document.createElement("span");
    badge.className = "badge text-bg-light border fw-normal ms-1";
    badge.textContent = t("dash_officer");
    return badge;
  }

  /** A row's name: a link down to its agency's board when it has one; an officer marked as such. */
  function nameCell(r) {
    const td = cell("", "fw-semibold");
    if (r.has_level) {
      const a = document.createElement("a");
      a.className = "level-link";
      a.href = levelUrl(r.agency_id);
      a.title = t("dash_open_level");
      a.textContent = r.name;
      const chevron = document.createElement("i");
      chevron.className = "bi bi-chevron-right small ms-1";
      chevron.setAttribute("aria-hidden", "true");
      a.append(chevron);
      td.append(a);
    } else {
      td.textContent = r.name;
    }
    if (r.kind === "officer") td.append(" ", officerBadge());
    return td;
  }

  // -- table ---------------------------------------------------------------------

  function compare(a, b) {
    if (sortKey === "name") {
      const r = String(a.name).localeCompare(String(b.name), "vi");
      return sortDir === "asc" ? r : -r;
    }
    const va = a[sortKey], vb = b[sortKey];
    const na = va === null || va === undefined, nb = vb === null || vb === undefined;
    if (na && nb) return String(a.name).localeCompare(String(b.name), "vi");
    if (na) return 1;  // unknown values always last
    if (nb) return -1;
    if (va === vb) return String(a.name).localeCompare(String(b.name), "vi");
    return sortDir === "asc" ? va - vb : vb - va;
  }

  function renderTable(previous) {
    const body = document.getElementById("stats-body");
    const before = {};
    (previous || []).forEach((r) => { before[r.agency_id + ":" + r.assignee_id] = r; });
    const sorted = rows.slice().sort(compare);
    const out = [];
    sorted.forEach((r) => {
      const tr = document.createElement("tr");
      tr.dataset.agencyId = String(r.agency_id);
      tr.append(
        nameCell(r),
        countCell(r, r.assigned, String(r.assigned), "text-end", {}),
        countCell(r, r.acknowledged, pct(r.acknowledged_pct), "text-end", { acknowledged: "yes" }),
        cell(duration(r.median_ack_seconds), "text-end text-nowrap"),
        countCell(r, r.on_track, String(r.on_track), "text-end", { tracking: "on_track" }),
        countCell(r, r.due_soon, String(r.due_soon), "text-end", { tracking: "due_soon" }),
        countCell(r, r.overdue, String(r.overdue), "text-end" + (r.overdue ? " text-danger fw-semibold" : ""), { tracking: "overdue" }),
        countCell(r, r.completed_on_time, String(r.completed_on_time), "text-end", { tracking: "completed_on_time" }),
        countCell(r, r.completed_late, String(r.completed_late), "text-end", { tracking: "completed_late" }),
        cell(pct(r.on_time_rate), "text-end"),
      );
      const old = before[r.agency_id + ":" + r.assignee_id];
      if (previous && (!old || ["assigned", "acknowledged", "overdue", "due_soon", "on_track", "completed_on_time", "completed_late"].some((k) => old[k] !== r[k]))) {
        tr.querySelectorAll("td").forEach((td) => td.classList.add("bump"));
      }
      out.push(tr);
    });
    body.replaceChildren(...out);
    document.getElementById("stats-empty").classList.toggle("d-none", rows.length > 0);
    document.querySelectorAll("#stats-table th.sortable").forEach((th) => {
      th.classList.toggle("sorted-asc", th.dataset.sort === sortKey && sortDir === "asc");
      th.classList.toggle("sorted-desc", th.dataset.sort === sortKey && sortDir === "desc");
      th.setAttribute("aria-sort", th.dataset.sort === sortKey ? (sortDir === "asc" ? "ascending" : "descending") : "none");
    });
  }

  document.querySelectorAll("#stats-table th.sortable").forEach((th) => {
    th.tabIndex = 0;
    const activate = () => {
      const key = th.dataset.sort;
      if (key === sortKey) sortDir = sortDir === "asc" ? "desc" : "asc";
      else { sortKey = key; sortDir = key === "name" || key === "median_ack_seconds" ? "asc" : "desc"; }
      renderTable();
    };
    th.addEventListener("click", activate);
    th.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); activate(); } });
  });

  // -- ranking: the level's rank from the server (directives/board.py rank_key: on-time rate, then
  // fewest overdue, then acknowledged %, then fastest) --

  function renderRanking() {
    const list = document.getElementById("ranking");
    const ranked = rows.filter((r) => r.rank !== null && r.rank !== undefined).sort((a, b) => a.rank - b.rank);
    const items = ranked.map((r) => {
      const li = document.createElement("li");
      li.className = "list-group-item d-flex justify-content-between align-items-start";
      const box = document.createElement("div");
      box.className = "ms-2 me-auto";
      const name = document.createElement("div");
      name.className = "fw-semibold";
      name.textContent = r.name;
      if (r.kind === "officer") name.append(" ", officerBadge());
      const line = document.createElement("div");
      line.className = "small text-body-secondary";
      line.textContent = fmt("dash_rank_line", { rate: pct(r.on_time_rate), n: r.overdue });
      box.append(name, line);
      li.append(box);
      return li;
    });
    list.replaceChildren(...items);
  }

  // -- key numbers -------------------------------------------------------------------

  function renderKpis(totals) {
    const values = {
      assigned: String(totals.assigned),
      acknowledged_pct: pct(totals.acknowledged_pct),
      unacknowledged: String(totals.unacknowledged),
      overdue: String(totals.overdue),
      due_soon: String(totals.due_soon),
      on_track: String(totals.on_track),
      on_time_rate: pct(totals.on_time_rate),
      completed_on_time: String(totals.completed_on_time),
      judged: String(totals.completed_on_time + totals.completed_late + totals.overdue),
    };
    Object.keys(values).forEach((key) => {
      document.querySelectorAll('[data-kpi="' + key + '"]').forEach((el) => {
        if (el.textContent !== values[key]) {
          el.textContent = values[key];
          el.classList.remove("bump");
          void el.offsetWidth;  // restart the animation
          el.classList.add("bump");
        }
      });
    });
  }

  // -- charts ----------------------------------------------------------------------

  let barChart = null;
  let doughnut = null;

  function chartRows() {
    return rows.filter((r) => r.assigned).slice().sort((a, b) => b.assigned - a.assigned);
  }

  function shortName(name) {
    return String(name).replace(/^UBND /, "").replace(/^Sở /, "Sở ");
  }

  function barData() {
    const list = chartRows();
    return {
      labels: list.map((r) => shortName(r.name)),
      datasets: TRACKING.map((key) => ({
        label: t("tracking_" + key),
        data: list.map((r) => r[key]),
        backgroundColor: COLORS[key],
        borderWidth: 0,
        maxBarThickness: 28,
      })),
    };
  }

  function totalsData() {
    return {
      labels: TRACKING.map((key) => t("tracking_" + key)),
      datasets: [{
        data: TRACKING.map((key) => rows.reduce((sum, r) => sum + (r[key] || 0), 0)),
        backgroundColor: TRACKING.map((key) => COLORS[key]),
        borderWidth: 2,
        borderColor: "#fff",
      }],
    };
  }

  function renderCharts() {
    if (!window.Chart) return;
    const narrow = window.matchMedia("(max-width: 767.98px)").matches;
    if (!barChart) {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      barChart = new Chart(document.getElementById("chart-agencies"), {
        type: "bar",
        data: barData(),
        options: {
          indexAxis: narrow ? "y" : "x",
          responsive: true,
          maintainAspectRatio: false,
          animation: { duration: 400 },
          scales: {
            x: { stacked: true, ticks: { autoSkip: false, maxRotation: 60, font: { size: 11 } }, grid: { display: narrow } },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0, font: { size: 11 } }, grid: { display: !narrow } },
          },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } }, tooltip: { mode: "index", intersect: false } },
        },
      });
      doughnut = new Chart(document.getElementById("chart-totals"), {
        type: "doughnut",
        data: totalsData(),
        options: {
          responsive: true,
          maintainAspectRatio: false,
          cutout: "62%",
          animation: { duration: 400 },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        },
      });
      return;
    }
    const bar = barData();
    barChart.data.labels = bar.labels;
    bar.datasets.forEach((ds, i) => { barChart.data.datasets[i].data = ds.data; });
    barChart.update();
    doughnut.data.datasets[0].data = totalsData().datasets[0].data;
    doughnut.update();
  }

  // -- live refresh ------------------------------------------------------------------

  let inFlight = false;
  let again = false;

  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const data = await App.api("GET", statsUrl);
      const previous = rows;
      rows = data.agencies || [];
      renderTable(previous);
      renderRanking();
      const totals = Object.assign({}, data.totals);
      totals.unacknowledged = Math.max(totals.assigned - totals.acknowledged, 0);
      renderKpis(totals);
      renderCharts();
      const stamp = document.getElementById("dash-updated");
      if (stamp) stamp.textContent = fmt("dash_updated", { time: new Date().toLocaleTimeString("vi-VN") });
      document.body.dataset.dashboardRefreshed = String((parseInt(document.body.dataset.dashboardRefreshed || "0", 10) || 0) + 1);
    } catch {
      /* the next event tries again */
    } finally {
      inFlight = false;
      if (again) { again = false; setTimeout(refresh, 300); }
    }
  }

  let timer = null;
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);  // a burst of updates (a directive to 10 agencies) refetches once
  }

  renderTable();
  renderCharts();
  if (App.socket) {
    App.socket.on("assignment:updated", soon);
    App.socket.on("directive:new", soon);
    App.socket.on("connect", () => { if (document.body.dataset.dashboardRefreshed) soon(); });
  }
  // tracking moves with the clock (due soon → overdue) even when nobody acts
  setInterval(refresh, 5 * 60 * 1000);
})();
