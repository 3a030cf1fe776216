/* The execution report's trend, month by month (Chart.js): due per month as bars, the on-time rate,
   the median handling time (days) and time to acknowledge (hours) as lines. The data comes inline
   (#trend-data, the report page) or from data-trend-url (the tracking board's card, fetched after
   the board is drawn so the board itself stays fast). Text only via textContent. */
(function () {
  "use strict";

  function monthLabel(m) {
    const parts = m.from.split("-");
    return parts[1] + "/" + parts[0];
  }

  function hours(seconds, per) {
    return seconds === null || seconds === undefined ? null : Math.round((seconds / per) * 10) / 10;
  }

  function draw(canvas, trend, labels) {
    const months = trend.months || [];
    const totals = months.map((m) => m.totals);
    return new Chart(canvas, {
      data: {
        labels: months.map(monthLabel),
        datasets: [
          { type: "bar", label: labels.due, data: totals.map((t) => t.due), yAxisID: "count",
            backgroundColor: "rgba(13, 110, 253, 0.15)", borderColor: "rgba(13, 110, 253, 0.35)", borderWidth: 1, order: 4 },
          { type: "line", label: labels.on_time_rate, data: totals.map((t) => t.on_time_rate), yAxisID: "rate",
            borderColor: "#198754", backgroundColor: "#198754", tension: 0.3, spanGaps: true, order: 1 },
          { type: "line", label: labels.handling, data: totals.map((t) => hours(t.median_handling_seconds, 86400)),
            yAxisID: "days", borderColor: "#dc3545", backgroundColor: "#dc3545", tension: 0.3, spanGaps: true, order: 2 },
          { type: "line", label: labels.ack, data: totals.map((t) => hours(t.median_ack_seconds, 3600)),
            yAxisID: "hours", borderColor: "#fd7e14", backgroundColor: "#fd7e14", borderDash: [5, 4], tension: 0.3,
            spanGaps: true, order: 3 },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: {
          rate: { position: "left", min: 0, max: 100, title: { display: true, text: labels.on_time_rate },
                  ticks: { font: { size: 11 } } },
          days: { position: "right", beginAtZero: true, grid: { display: false },
                  title: { display: true, text: labels.handling }, ticks: { font: { size: 11 } } },
          hours: { position: "right", beginAtZero: true, grid: { display: false },
                   title: { display: true, text: labels.ack }, ticks: { font: { size: 11 } } },
          count: { display: false, beginAtZero: true },
          x: { ticks: { font: { size: 11 } } },
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      },
    });
  }

  const canvas = document.getElementById("chart-trend");
  if (!canvas || typeof Chart === "undefined") return;
  const inline = document.getElementById("trend-data");
  if (inline) {
    const data = JSON.parse(inline.textContent);
    draw(canvas, data.trend, data.labels);
    return;
  }
  const url = canvas.dataset.trendUrl;
  if (!url) return;
  const labels = JSON.parse(canvas.dataset.labels || "{}");
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((trend) => {
      const box = canvas.closest("[data-trend-card]");
      if (box) box.classList.remove("d-none");
      draw(canvas, trend, labels);
    })
    .catch(() => {});
})();
