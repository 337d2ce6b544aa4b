// The pipeline page's KPI chart: a line per measure, broken where no window was written
// (the page's columns carry a null there), over the time range chosen above it.
(function () {
  const s = JSON.parse(document.getElementById("series").textContent);
  const el = document.getElementById("chart");
  const note = document.getElementById("chart-note");
  const buttons = Array.from(document.querySelectorAll("#chart-range button"));
  const iso = t => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
  const pct = (u, v) => v == null ? "-" : (v * 100).toFixed(1) + "%";
  if (!s.t.length) {
    el.textContent = "no KPI records yet";
    buttons.forEach(b => b.disabled = true);
    return;
  }
  window.kpiChart = new uPlot({width: Math.max(600, el.clientWidth), height: 280,
    tzDate: t => uPlot.tzDate(new Date(t * 1000), "Etc/UTC"),
    series: [{label: "window end", value: (u, v) => v == null ? "-" : iso(v) + " UTC"},
      {label: "schema-conformant share", stroke: "#1f9d55", scale: "rate", spanGaps: false, value: pct},
      {label: "DLQ rate", stroke: "#c53030", scale: "rate", spanGaps: false, value: pct},
      {label: "invalid / min", stroke: "#d69e2e", scale: "n", spanGaps: false}],
    axes: [{label: "window end (UTC)", space: 90, size: 60, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
        3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000], values: (u, ticks) => ticks.map(v => iso(v).replace(" ", "\n"))},
      {scale: "rate", values: (u, vals) => vals.map(v => (v * 100).toFixed(0) + "%")}, {scale: "n", side: 1}]},
    [s.t, s.conformant, s.dlq, s.invalid], el);

  const first = s.t[0], last = s.t[s.t.length - 1];
  function show(button) {
    const seconds = button.dataset.range;
    let min, max;
    if (seconds === "all") {
      [min, max] = [first - s.window_s, last];
    } else {
      max = Math.max(Date.now() / 1000, last);  // an open window ends after now
      min = max - Number(seconds);
    }
    kpiChart.setScale("x", {min, max});
    const windows = s.t.filter((t, i) => t >= min && t <= max && s.dlq[i] !== null).length;
    note.textContent = windows ? `${windows} window${windows === 1 ? "" : "s"} with records from ${iso(min)} to ${iso(max)} UTC`
      : `no window with records in the ${button.textContent}; the newest window ended ${iso(last)} UTC`;
    buttons.forEach(b => b.setAttribute("aria-pressed", String(b === button)));
  }
  buttons.forEach(b => b.addEventListener("click", () => show(b)));
  show(buttons.find(b => b.getAttribute("aria-pressed") === "true") || buttons[0]);
})();
