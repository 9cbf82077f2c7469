// Privacy masks drawn on a camera still: clicks add corners, "Close this mask" ends a polygon.
// Points are kept as fractions of the picture (0 to 1), the form the hub's config uses.
(function () {
  "use strict";
  var still = document.getElementById("still");
  var canvas = document.getElementById("masks-canvas");
  var field = document.getElementById("masks-field");
  if (!field) { return; }
  var masks = [];
  try { masks = JSON.parse(field.value) || []; } catch (e) { masks = []; }
  var current = [];

  function save() { field.value = JSON.stringify(masks); }

  function draw() {
    if (!canvas || !still) { return; }
    canvas.width = still.clientWidth;
    canvas.height = still.clientHeight;
    var g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    function path(points, closed) {
      if (!points.length) { return; }
      g.beginPath();
      points.forEach(function (p, i) {
        var x = p[0] * canvas.width, y = p[1] * canvas.height;
        if (i === 0) { g.moveTo(x, y); } else { g.lineTo(x, y); }
      });
      if (closed) { g.closePath(); g.fillStyle = "rgba(0,0,0,0.75)"; g.fill(); }
      g.strokeStyle = "#ffcc00"; g.lineWidth = 2; g.stroke();
    }
    masks.forEach(function (m) { path(m, true); });
    path(current, false);
  }

  if (canvas && still) {
    canvas.addEventListener("click", function (event) {
      var box = canvas.getBoundingClientRect();
      var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      current.push([Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]);
      draw();
    });
    if (still.complete) { draw(); } else { still.addEventListener("load", draw); }
    window.addEventListener("resize", draw);
  }
  document.getElementById("close-mask").addEventListener("click", function () {
    if (current.length >= 3) { masks.push(current); save(); }
    current = [];
    draw();
  });
  document.getElementById("clear-masks").addEventListener("click", function () {
    masks = []; current = []; save(); draw();
  });
  field.addEventListener("change", function () {
    try { masks = JSON.parse(field.value) || []; } catch (e) { return; }
    draw();
  });
})();
