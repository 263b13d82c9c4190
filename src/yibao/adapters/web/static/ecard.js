// 我的医保码: count the shown code down and fetch a fresh one (htmx) shortly before it expires.
(function () {
  "use strict";
  var timer = null;
  function start() {
    var box = document.querySelector("[data-testid=ecard-code]");
    if (timer) { clearInterval(timer); timer = null; }
    if (!box) { return; }
    var deadline = Date.now() + parseInt(box.dataset.seconds, 10) * 1000;
    var margin = parseInt(box.dataset.margin, 10) * 1000;
    var shown = box.querySelector("[data-testid=ecard-seconds]");
    timer = setInterval(function () {
      var left = deadline - Date.now();
      shown.textContent = Math.max(0, Math.ceil(left / 1000));
      if (left <= margin && window.htmx) {
        clearInterval(timer); timer = null;
        window.htmx.ajax("GET", box.dataset.refresh, {target: "#ecard-code", swap: "innerHTML"});
      }
    }, 1000);
  }
  document.addEventListener("htmx:afterSwap", start);
  document.addEventListener("DOMContentLoaded", start);
})();
