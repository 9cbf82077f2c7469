// Quick exit: pressing Esc twice within a second leaves for a neutral page and ends the session.
(function () {
  var last = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - last < 1000) { window.location.replace(document.getElementById("quick-exit").href); }
    last = now;
  });
})();
