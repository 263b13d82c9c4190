// The "三重保障" page's chart: this period's reimbursement ratios beside the 2022 report's (no request of its own).
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var el = document.getElementById("chart-ratios");
  var c = echarts.init(el);
  c.setOption({ animation: false, tooltip: {}, legend: {}, grid: { left: 150, right: 50, top: 30, bottom: 30 },
    xAxis: { type: "value", max: 100 }, yAxis: { type: "category", data: data.names },
    series: [{ name: "本期", type: "bar", data: data.ours, label: { show: true, position: "right", formatter: "{c}%" } },
             { name: "2022年度报道", type: "bar", data: data.s22, label: { show: true, position: "right", formatter: "{c}%" } }] });
  window.addEventListener("resize", function () { c.resize(); });
  el.dataset.ready = "1";
});
