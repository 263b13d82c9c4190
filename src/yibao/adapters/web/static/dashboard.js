// The centre dashboard's charts, drawn from the JSON the page carries (no request of its own).
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  function chart(id, option) {
    var el = document.getElementById(id);
    var c = echarts.init(el);
    c.setOption(Object.assign({ animation: false, tooltip: {} }, option));
    window.addEventListener("resize", function () { c.resize(); });
    el.dataset.ready = "1";
  }
  // labels aligned to the chart's edges and wrapped: a narrow chart no longer cuts them off
  chart("chart-category", { series: [{ type: "pie", radius: ["28%", "52%"], data: data.category,
    avoidLabelOverlap: true, labelLayout: { hideOverlap: false },
    label: { formatter: "{b}\n{c} 人", alignTo: "edge", edgeDistance: 8, lineHeight: 16, overflow: "break" },
    labelLine: { length: 8, length2: 0, maxSurfaceAngle: 80 } }] });
  chart("chart-town", { grid: { left: 90, right: 20, top: 10, bottom: 30 },
    xAxis: { type: "value" }, yAxis: { type: "category", data: data.town.names.slice().reverse() },
    series: [{ type: "bar", data: data.town.values.slice().reverse() }] });
  chart("chart-fund", { legend: { top: 0 }, grid: { left: 70, right: 20, top: 40, bottom: 30 }, tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.months }, yAxis: { type: "value" },
    series: data.fund.map(function (s) { return { name: s.name, type: "bar", stack: "fund", data: s.data }; }) });
  chart("chart-ratio", { grid: { left: 120, right: 40, top: 10, bottom: 30 }, xAxis: { type: "value", max: 100 },
    yAxis: { type: "category", data: ["2022年度报道", "本系统（本年度）"] },
    series: [{ type: "bar", data: [data.ratio.s22, data.ratio.ours], label: { show: true, position: "right", formatter: "{c}%" } }] });
});
