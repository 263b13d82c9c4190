"""The system commands as an operator runs them: demo data, school import, renewal, reconciliation."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

from tests.cli.test_calc import YIBAO
from tests.registry.helpers import certno


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YIBAO_DATA_DIR": str(data_dir)}
    env.pop("YIBAO_DATABASE_URL", None)
    return subprocess.run([YIBAO, *args], capture_output=True, text=True, timeout=300, env=env, check=False)


def test_demo_school_import_renewal_and_reconcile(tmp_path: Path) -> None:
    year = dt.date.today().year
    demo = run(tmp_path, "demo", "--persons", "400")
    assert demo.returncode == 0, demo.stderr
    assert "已生成 400 名参保人" in demo.stdout and "clerk/yibao-clerk" in demo.stdout
    assert (tmp_path / "yibao.sqlite3").exists()
    again = run(tmp_path, "demo", "--if-empty")
    assert "未生成" in again.stdout

    school = tmp_path / "class.csv"
    school.write_text("身份证号,姓名,学校\n" + f"{certno('2015-05-05')},邬小,实验小学\n" + "12345,坏,实验小学\n",
                      encoding="utf-8")
    refused = run(tmp_path, "school-import", str(school), "--year", str(year + 1), "--registration-date",
                  f"{year}-10-01")
    assert refused.returncode == 2
    assert "第 3 行（坏）：身份证号" in refused.stderr and "已导入 0 行" in refused.stdout
    partial = run(tmp_path, "school-import", str(school), "--year", str(year + 1), "--registration-date",
                  f"{year}-10-01", "--mode", "valid_only")
    assert partial.returncode == 0 and "已导入 1 行" in partial.stdout

    renewal = run(tmp_path, "renew", "--year", str(year + 1), "--registration-date", f"{year}-10-20")
    assert renewal.returncode == 0, renewal.stderr
    assert f"{year + 1} 年度续保" in renewal.stdout

    import sqlite3

    with sqlite3.connect(tmp_path / "yibao.sqlite3") as database:
        (paid_on,) = database.execute("SELECT min(paid_on) FROM payments").fetchone()
    recon = run(tmp_path, "reconcile", str(paid_on)[:10])
    assert recon.returncode == 0 and "缴费对账" in recon.stdout and "没有缴费" not in recon.stdout
    quiet = run(tmp_path, "reconcile", "2001-01-01")  # issue 20: an empty day said nothing
    assert quiet.returncode == 0 and "2001-01-01 没有缴费或退费记录" in quiet.stdout
    statement = tmp_path / "statement.csv"
    statement.write_text("渠道,银行,笔数,金额\n微信,,1,750.00\n", encoding="utf-8")
    stated = run(tmp_path, "reconcile", "2001-01-01", "--statement", str(statement))
    assert stated.returncode == 1 and "对账 1 项，不符 1 项" in stated.stdout
    assert "不符：微信（宁波税务·社保缴费）：系统 0 笔 0.00 元，对账单 1 笔 750.00 元" in stated.stdout
    statement.write_text("渠道,银行,笔数,金额\n微信,,一,750.00\n", encoding="utf-8")
    broken = run(tmp_path, "reconcile", "2001-01-01", "--statement", str(statement))
    assert broken.returncode == 2 and "第 2 行：笔数应为非负整数" in broken.stderr


def test_operator_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    bad_date = run(tmp_path, "renew", "--year", "2023", "--registration-date", "yesterday")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    missing = run(tmp_path, "school-import", str(tmp_path / "none.csv"), "--year", "2023",
                  "--registration-date", "2022-10-01")
    assert missing.returncode == 2 and "无法读取文件" in missing.stderr
    too_late = run(tmp_path, "renew", "--year", "2023", "--registration-date", "2024-01-05")
    assert too_late.returncode == 2 and "2023 年度已结束" in too_late.stderr
    assert too_late.stdout == ""


def test_a_clerks_day_on_the_command_line(tmp_path: Path) -> None:
    number = certno("1966-06-06", sex="2")
    added = run(tmp_path, "person-add", number, "竺桂英", "--town", "dayan")
    assert added.returncode == 0, added.stderr
    psn_no = added.stdout.split("人员编号 ")[1].split("，")[0]
    cert = run(tmp_path, "certificate-add", psn_no, "--kind", "disabled_grade_2", "--cert-no", "CJ-1",
               "--valid-from", "2020-01-01")
    assert cert.returncode == 0, cert.stderr
    enrolled = run(tmp_path, "enroll", psn_no, "--year", "2022", "--registration-date", "2021-10-08")
    assert enrolled.returncode == 0, enrolled.stderr
    assert "个人缴费 0.00 元" in enrolled.stdout and "政府补助 2840.00 元" in enrolled.stdout
    again = run(tmp_path, "enroll", psn_no, "--year", "2022", "--registration-date", "2021-10-09")
    assert again.returncode == 2 and "重复" in again.stderr and again.stdout == ""
    other = run(tmp_path, "person-add", certno("1967-07-07"), "王二", "--town", "xiwu")
    other_psn = other.stdout.split("人员编号 ")[1].split("，")[0]
    assert run(tmp_path, "enroll", other_psn, "--year", "2022", "--registration-date", "2021-10-08").returncode == 0
    bill_no = f"2022{2:010d}"
    wrong = run(tmp_path, "pay", bill_no, "--amount", "700", "--channel", "wechat", "--paid-on", "2021-10-09",
                "--reference", "W-1")
    assert wrong.returncode == 2 and "不符" in wrong.stderr
    paid = run(tmp_path, "pay", bill_no, "--amount", "750.00", "--channel", "wechat", "--paid-on", "2021-10-09",
               "--reference", "W-1")
    assert paid.returncode == 0 and "已缴费 750.00 元" in paid.stdout
    valid = certno("1968-08-08")
    corrupted = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    third = run(tmp_path, "person-add", certno("1969-09-09"), "毛三", "--town", "xiwu")
    third_psn = third.stdout.split("人员编号 ")[1].split("，")[0]
    unknown = run(tmp_path, "enroll", third_psn, "--year", "2022", "--registration-date", "2022-05-10",
                  "--late-exception", "veteran", "--event-date", "2022-04-01")
    assert unknown.returncode == 2 and "未知的补办例外" in unknown.stderr and unknown.stdout == ""
    bad = run(tmp_path, "person-add", corrupted, "坏号", "--town", "xiwu")
    assert bad.returncode == 2 and "校验位" in bad.stderr


def test_audit_log_verify_and_show(tmp_path: Path) -> None:
    """`yibao audit-log`: a command's change is trailed as the command line's; verify passes on a whole chain
    and fails (exit 1, naming the record) once a record is edited behind the database's back (issue 19 item 7)."""
    import re
    import sqlite3

    added = run(tmp_path, "person-add", certno("1966-06-06"), "邬命令", "--town", "yuelin")
    assert added.returncode == 0, added.stderr
    psn_no = re.search(r"人员编号 (\S+)，", added.stdout).group(1)  # type: ignore[union-attr]
    shown = run(tmp_path, "audit-log", "show", psn_no)
    assert shown.returncode == 0 and "命令行" in shown.stdout and "新增人员信息" in shown.stdout
    whole = run(tmp_path, "audit-log", "verify")
    assert whole.returncode == 0 and "访问记录链完整" in whole.stdout, whole.stderr
    head = whole.stdout.split("链头 ")[1].split("（")[0]
    assert run(tmp_path, "audit-log", "verify", "--expect-head", head).returncode == 0

    database = sqlite3.connect(tmp_path / "yibao.sqlite3")
    database.execute("DROP TRIGGER access_trail_no_update")
    database.execute("UPDATE access_trail SET actor = '别人' WHERE seq = 1")
    database.commit()
    database.close()
    broken = run(tmp_path, "audit-log", "verify")
    assert broken.returncode == 1 and "第 1 条记录的内容与其哈希不符" in broken.stderr


def test_national_list_import_and_status(tmp_path: Path) -> None:
    """Issue 18 item 5: the centre imports the platform's list file; a bad row is named and nothing is written."""
    from yibao.institutions import national_lists

    lst = national_lists.LISTS["diagnosis"]
    good = national_lists.file_line(lst, {"diag_code": "A00.000", "diag_name": "霍乱", "vali_flag": "1",
                                          "rid": "R1", "updt_time": "2023-05-01 08:00:00", "ver": "V1"})
    bad = tmp_path / "bad.txt"
    bad.write_text(good + "\nA01.000\t伤寒\n", encoding="gbk")
    refused = run(tmp_path, "national-list", "import", "1307", str(bad))
    assert refused.returncode == 2 and "第 2 行" in refused.stderr and "整个文件未导入" in refused.stderr
    listed = run(tmp_path, "national-list", "status")
    assert listed.returncode == 0 and "1307\t疾病与诊断目录\tdiagnosis\t0 条\t尚未导入" in listed.stdout
    file = tmp_path / "1307.txt"
    file.write_text(good + "\n", encoding="utf-8")
    done = run(tmp_path, "national-list", "import", "diagnosis", str(file))
    assert done.returncode == 0, done.stderr
    assert "疾病与诊断目录：1 条，新增 1，更新 0，未变 0" in done.stdout
    again = run(tmp_path, "national-list", "import", "diagnosis", str(file))
    assert "新增 0，更新 0，未变 1" in again.stdout
    assert "1 条\t最近更新 2023-05-01 08:00:00" in run(tmp_path, "national-list", "status").stdout
    unknown = run(tmp_path, "national-list", "import", "icd11", str(file))
    assert unknown.returncode == 2 and "没有目录“icd11”" in unknown.stderr


def test_civil_assistance_import(tmp_path: Path) -> None:
    """Issue 17 item 4: civil affairs' file, imported once by its file id; a bad row named, nothing written."""
    demo = run(tmp_path, "demo", "--persons", "20")
    assert demo.returncode == 0, demo.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "yibao.sqlite3") as database:
        count = database.execute("SELECT count(*) FROM temporary_assistance").fetchone()[0]
    assert count == 0
    file = tmp_path / "mz.csv"
    file.write_text("身份证号,姓名,救助金额,发放日期,救助编号\n110101199003070000,某人,100,2022-01-01,M1\n",
                    encoding="gbk")
    refused = run(tmp_path, "civil-assistance-import", str(file), "--file-id", "B1")
    assert refused.returncode == 2 and "第 2 行" in refused.stderr and "整个文件未导入" in refused.stderr


def test_family_accounts_daily_file_in_and_uses_out(tmp_path: Path) -> None:
    """Issue 14 item 1: the demo's family (its first daily file two days ago); yesterday's file imported once, a
    second file for that day refused, today's uses exported with the ID numbers the employee system keys on."""
    assert run(tmp_path, "demo", "--persons", "20").returncode == 0
    from yibao.demo import DEMO_FAMILY
    from yibao.kit.idcard import make_id_number

    initiator = make_id_number("330283", DEMO_FAMILY[0][1], 90, "1")
    yesterday = dt.date.today() - dt.timedelta(days=1)
    file = tmp_path / "emp.csv"
    # the day's balance: 3,600.00 before today's move of 1,200.00 into the mutual-aid account, plus 100.00
    file.write_text(f"身份证号,姓名,当日变动,日终余额\n{initiator},陈国强,100.00,3700.00\n", encoding="gbk")
    done = run(tmp_path, "family-accounts", "import", str(file), "--file-id", "EMP2", "--day", yesterday.isoformat())
    assert done.returncode == 0 and "1 人，新开户 0 人，当日变动合计 100.00 元" in done.stdout, done.stderr
    again = run(tmp_path, "family-accounts", "import", str(file), "--file-id", "EMP2", "--day", yesterday.isoformat())
    assert "已导入过" in again.stdout
    twice = run(tmp_path, "family-accounts", "import", str(file), "--file-id", "EMP3", "--day", yesterday.isoformat())
    assert twice.returncode == 2 and "同一天不能再导入另一份文件" in twice.stderr
    out = tmp_path / "uses.csv"
    exported = run(tmp_path, "family-accounts", "export", "--day", dt.date.today().isoformat(), "--out", str(out))
    assert exported.returncode == 0 and "使用明细 2 笔" in exported.stdout, exported.stdout
    assert f"{initiator},陈国强,-1200.00,transfer" in out.read_text(encoding="utf-8-sig")
    bad = run(tmp_path, "family-accounts", "export", "--day", "2026-13-01", "--out", str(out))
    assert bad.returncode == 2 and "--day 应为 YYYY-MM-DD" in bad.stderr
