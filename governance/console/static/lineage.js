// The selected node in view inside the graph's scrolling box (the page itself does not jump).
(function () {
  const box = document.getElementById("graph-box");
  const rect = document.querySelector("#graph a.node.selected rect");
  if (!box || !rect) return;
  const b = rect.getBBox();
  box.scrollLeft = Math.max(0, b.x + b.width / 2 - box.clientWidth / 2);
  box.scrollTop = Math.max(0, b.y + b.height / 2 - box.clientHeight / 2);
})();
