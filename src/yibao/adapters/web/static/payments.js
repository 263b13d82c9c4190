// The payments page's chart: the ten institutions the funds paid most in the period (no request of its own).
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var el = document.getElementById("chart-ranking");
  var c = echarts.init(el);
  c.setOption({ animation: false, tooltip: {}, grid: { left: 220, right: 80, top: 10, bottom: 30 },
    xAxis: { type: "value" }, yAxis: { type: "category", data: data.names, inverse: true },
    series: [{ type: "bar", data: data.values, label: { show: true, position: "right" } }] });
  window.addEventListener("resize", function () { c.resize(); });
  el.dataset.ready = "1";
});
