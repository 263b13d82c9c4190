"""`yibao calc` as a user runs it (SCENARIO.md): JSON out, a table with the trace, exit 2 on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, REPO_CASES_DIR

YIBAO = shutil.which("yibao", path=str(Path(sys.executable).parent)) or "yibao"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([YIBAO, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_calc_prints_the_result_json_of_a_case() -> None:
    case = REPO_CASES_DIR / "07-assistance-recipient.json"
    done = run("calc", str(case))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    expected = json.loads(case.read_text(encoding="utf-8"))["expected"]
    assert result["accumulators"] == expected["accumulators"]
    assert result["claims"][1]["maf_pay"] == "53835.00"
    stages = [step["stage"] for step in result["claims"][1]["trace"]]
    assert stages == ["scope", "deductible", "basic_fund", "serious_illness", "assistance_ordinary",
                      "assistance_relief", "total"]


def test_calc_reads_stdin() -> None:
    scenario = {"person": {"category": "student"}, "claims": [
        {"id": "s1", "benefit": "inpatient", "date": "2022-09-20", "level": "community", "amount": "8000.00"}]}
    done = run("calc", "-", stdin=json.dumps(scenario))
    assert done.returncode == 0
    assert json.loads(done.stdout)["claims"][0]["hifp_pay"] == "6545.00"


def test_calc_table_shows_chinese_labels_and_the_trace() -> None:
    done = run("calc", "--format", "table", str(REPO / "examples" / "calc-2022-adult.json"))
    assert done.returncode == 0, done.stderr
    for text in ("统筹基金", "个人负担", "起付线", "计算过程", "S22 §4 table", "23700.00", "年度累计"):
        assert text in done.stdout


BAD = {
    "malformed JSON": ("{not json", "不是有效的 JSON"),
    "unknown level": ('{"person":{"category":"adult"},"claims":[{"id":"k1","benefit":"inpatient",'
                      '"date":"2022-01-05","level":"palace","amount":"1.00"}]}', "费用 k1 的 level"),
    "negative money": ('{"person":{"category":"adult"},"claims":[{"id":"k2","benefit":"inpatient",'
                       '"date":"2022-01-05","level":"other","amount":"-1.00"}]}', "费用 k2 的 amount"),
    "over-precise money": ('{"person":{"category":"adult"},"claims":[{"id":"k3","benefit":"inpatient",'
                           '"date":"2022-01-05","level":"other","amount":"1.001"}]}', "最多两位小数"),
    "float money": ('{"person":{"category":"adult"},"claims":[{"id":"k4","benefit":"inpatient",'
                    '"date":"2022-01-05","level":"other","amount":1.5}]}', "字符串"),
    "no edition": ('{"person":{"category":"adult"},"claims":[{"id":"k5","benefit":"inpatient",'
                   '"date":"2017-06-05","level":"other","amount":"1.00"}]}', "费用 k5：2017-06-05 没有生效的政策版本"),
    "category the edition lacks": ('{"person":{"category":"adult_b"},"claims":[{"id":"k6","benefit":"inpatient",'
                                   '"date":"2022-06-05","level":"other","amount":"1.00"}]}', "费用 k6"),
    "special disease for a non-patient": (
        '{"person":{"category":"adult"},"claims":[{"id":"k7","benefit":"special_disease",'
        '"date":"2022-06-05","level":"other","amount":"1.00"}]}', "费用 k7：门诊特殊病种"),
    "both amount and lines": ('{"person":{"category":"adult"},"claims":[{"id":"k8","benefit":"outpatient",'
                              '"date":"2022-06-05","level":"other","amount":"1.00","lines":[]}]}', "费用 k8"),
    "unknown assistance class": ('{"person":{"category":"adult","assistance_class":"rich"},"claims":[]}',
                                 "assistance_class"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_exits_2_with_one_line_and_nothing_on_stdout(name: str) -> None:
    text, needle = BAD[name]
    done = run("calc", "-", stdin=text)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert needle in done.stderr


def test_missing_file_exits_2() -> None:
    done = run("calc", "/nonexistent/scenario.json")
    assert (done.returncode, done.stdout) == (2, "")
    assert "无法读取文件" in done.stderr


def test_unknown_format_exits_2() -> None:
    done = run("calc", "--format", "xml", str(REPO / "examples" / "calc-2022-adult.json"))
    assert (done.returncode, done.stdout) == (2, "")
