// The fund page's chart: each month's income and payments as bars, the basic fund's balance as a line.
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var el = document.getElementById("chart-fund");
  var c = echarts.init(el);
  c.setOption({ animation: false, tooltip: { trigger: "axis" }, legend: {},
    grid: { left: 90, right: 90, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", name: "收支" }, { type: "value", name: "结余" }],
    series: [{ name: "基金收入", type: "bar", data: data.income }, { name: "基金支出", type: "bar", data: data.paid },
      { name: "统筹基金结余", type: "line", yAxisIndex: 1, data: data.balance }] });
  window.addEventListener("resize", function () { c.resize(); });
  el.dataset.ready = "1";
});
