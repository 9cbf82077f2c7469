// Quick exit: pressing Esc twice within a second (or the button) leaves for a neutral page, replacing
// this one in the history so Back does not return, and the server ends the session.
// Idle: after the idle time with no key or pointer use, the page leaves for the login page, so an
// unattended screen does not keep showing her log.
(function () {
  var exitLink = document.getElementById("quick-exit");
  var last = 0;
  function leave() { window.location.replace(exitLink.href); }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - last < 1000) { leave(); }
    last = now;
  });
  exitLink.addEventListener("click", function (event) { event.preventDefault(); leave(); });
  var idle = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
  var login = document.body.getAttribute("data-login-url");
  if (idle > 0 && login) {
    var timer = null;
    var restart = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { window.location.replace(login); }, idle * 1000);
    };
    ["keydown", "pointerdown", "pointermove", "scroll"].forEach(function (name) {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  }
})();
