// The insured page's chart: per town, the registered persons who paid, are fully subsidised, have not paid yet.
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var el = document.getElementById("chart-progress");
  var c = echarts.init(el);
  function part(name, values) { return { name: name, type: "bar", stack: "all", data: values }; }
  c.setOption({ animation: false, tooltip: { trigger: "axis" }, legend: {},
    grid: { left: 140, right: 30, top: 40, bottom: 30 },
    xAxis: { type: "value" }, yAxis: { type: "category", data: data.names, inverse: true },
    series: [part("已缴费", data.paid), part("全额资助", data.subsidised), part("未缴费", data.unpaid)] });
  window.addEventListener("resize", function () { c.resize(); });
  el.dataset.ready = "1";
});
