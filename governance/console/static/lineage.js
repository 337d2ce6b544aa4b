// The selected node in view inside the graph's scrolling box (the page itself does not jump),
// and a button that scales the whole graph to the box's width instead of scrolling it.
(function () {
  const box = document.getElementById("graph-box");
  const svg = document.getElementById("graph");
  const fit = document.getElementById("fit");
  const rect = document.querySelector("#graph a.node.selected rect");
  if (!box || !svg) return;
  if (fit) fit.addEventListener("click", () => {
    const on = fit.getAttribute("aria-pressed") !== "true";
    fit.setAttribute("aria-pressed", String(on));
    svg.classList.toggle("fit", on);
  });
  if (!rect) return;
  const b = rect.getBBox();
  box.scrollLeft = Math.max(0, b.x + b.width / 2 - box.clientWidth / 2);
  box.scrollTop = Math.max(0, b.y + b.height / 2 - box.clientHeight / 2);
})();
