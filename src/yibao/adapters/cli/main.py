"""The `yibao` command line (Typer). A door: it parses, calls the core, formats; no rules here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from yibao.adapters.cli import audit, clearing, collect, credential, datakeys, family, lists, report, trail
from yibao.adapters.cli.calc import FORMAT_HELP, HELP, SOURCE_HELP, run_calc
from yibao.adapters.cli.units import PROGRESS, _settings, parse_day, read_input, unit_of_work
from yibao.adapters.cli.zh import translate_typer
from yibao.contributions.service import (
    BANKS,
    PAYMENT_CHANNELS,
    PaymentRequest,
    reconcile_day,
    sign_agreement,
)
from yibao.demo import DEMO_HIS_SECRET, DEMO_RESIDENT_CERTNO, DEMO_RESIDENT_PASSWORD, DEMO_STAFF, generate_demo
from yibao.enrollment.payments import pay_contribution
from yibao.enrollment.school import import_school_batch, read_school_file
from yibao.enrollment.service import EnrollmentRequest, cancel_enrollment, enroll_person, renew_year
from yibao.kit.money import fmt
from yibao.people.assistance import import_temporary_assistance
from yibao.people.models import Person
from yibao.people.service import add_certificate, register_person
from yibao.policy.editions import packaged_editions
from yibao.staff.service import create_staff

app = typer.Typer(
    name="yibao",
    help="奉化区城乡居民基本医疗保险管理与实时结算系统 (yibao)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


translate_typer()
app.add_typer(credential.app)
app.add_typer(trail.app)
app.add_typer(datakeys.app)
app.add_typer(lists.app)
app.add_typer(family.app)
app.add_typer(clearing.app)
app.add_typer(collect.app)
app.add_typer(audit.app)
app.add_typer(report.app)


@app.callback()
def main() -> None:
    """奉化区城乡居民基本医疗保险管理与实时结算系统。"""


@app.command(help=HELP)
def calc(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help=SOURCE_HELP)],
    format: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "json",
) -> None:
    """(`yibao calc` runs from yibao.adapters.cli.launch without this module; this is its entry in the help.)"""
    run_calc(source, format)


# ---------------------------------------------------------------------------------------------------
# The system: database, server, demo data, daily work






@app.command("db-upgrade")
def db_upgrade() -> None:
    """建立或升级数据库结构（Alembic 迁移）。"""
    with unit_of_work():
        pass
    typer.echo("数据库已是最新结构。")


@app.command()
def demo(
    persons: Annotated[int, typer.Option(help="人数")] = 10_000,
    year: Annotated[int, typer.Option(help="本年度（默认今年）")] = 0,
    seed: Annotated[int, typer.Option(help="随机种子")] = 2022,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="数据库已有参保人时什么也不做")] = False,
) -> None:
    """生成演示数据：奉化区参保人、证件、上年度参保缴费、年度续保与本年度缴费，以及演示账号。"""
    year = year or dt.date.today().year
    with unit_of_work() as session:
        if if_empty and session.scalar(select(func.count()).select_from(Person)):
            typer.echo("数据库已有参保人，未生成演示数据。")
            return
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=PROGRESS) as bar:
            tasks: dict[str, TaskID] = {}

            def tell(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = generate_demo(session, packaged_editions(), persons=persons, year=year, seed=seed,
                                   progress=tell, data_dir=_settings().data_dir)
    typer.echo(f"已生成 {result.persons} 名参保人；{year - 1} 年度参保 {result.enrolled_last_year} 人，"
               f"{year} 年度续保 {result.renewed} 人、已缴费 {result.paid_this_year} 人。")
    typer.echo("演示账号：" + "，".join(f"{u}/{p}（{d}）" for u, d, _, p in DEMO_STAFF))
    typer.echo(f"演示参保人（我的医保）：身份证号 {DEMO_RESIDENT_CERTNO} / 密码 {DEMO_RESIDENT_PASSWORD}；"
               f"收费窗口：机构编码 H33021300003 / 密钥 {DEMO_HIS_SECRET}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(help="进程数")] = 1,
) -> None:
    """启动服务（API 文档见 /docs）。"""
    import uvicorn

    with unit_of_work():
        pass
    typer.echo(f"yibao 服务：经办系统 http://{host}:{port}/console ，我的医保 /me ，收费窗口 /desk ，"
               f"API 文档 /docs （演示账号见 README）")
    if workers > 1:
        from yibao.adapters.cli.serving import run_workers

        raise typer.Exit(run_workers(host, port, workers))
    uvicorn.run("yibao.app:create_app", factory=True, host=host, port=port, log_level="warning", access_log=False)


@app.command("staff-add")
def staff_add(
    username: str,
    role: Annotated[str, typer.Option(help="clerk / auditor / admin / readonly")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str, typer.Option(help="姓名")] = "",
) -> None:
    """新建工作人员账号。"""
    with unit_of_work() as session:
        create_staff(session, username=username, display_name=display_name or username, role=role,
                     password=password)
    typer.echo(f"已新建账号 {username}（{role}）。")


@app.command("school-import")
def school_import(
    file: Annotated[Path, typer.Argument(help="学校名单 .csv 或 .xlsx")],
    year: Annotated[int, typer.Option(help="参保年度")],
    registration_date: Annotated[str, typer.Option(help="登记日期 YYYY-MM-DD")],
    mode: Annotated[str, typer.Option(help="all_or_nothing（有错则全部不导入）或 valid_only")] = "all_or_nothing",
) -> None:
    """学校批量参保：逐行校验，报告每个错误行的行号。"""
    content = read_input(file)
    day = parse_day(registration_date, "--registration-date")
    with unit_of_work() as session:
        rows = read_school_file(file.name, content)
        with Progress(TextColumn("校验并导入"), BarColumn(), MofNCompleteColumn(), console=PROGRESS) as bar:
            task = bar.add_task("import", total=len(rows))
            report = import_school_batch(
                session, packaged_editions(), rows, year=year, registration_date=day, mode=mode,  # type: ignore[arg-type]
                actor="cli", progress=lambda done, total: bar.update(task, completed=done, total=total))
            bar.update(task, completed=len(rows), total=len(rows))  # every row was checked, imported or not
    for error in report.errors:
        who = f"（{error['name']}）" if error.get("name") else ""
        typer.echo(f"第 {error['line']} 行{who}：{error['message']}", err=True)
    typer.echo(f"共 {report.total} 行，正确 {report.valid} 行，错误 {len(report.errors)} 行，"
               f"已导入 {report.imported} 行。")
    if report.errors and not report.imported:
        raise typer.Exit(code=2)


@app.command("civil-assistance-import")
def civil_assistance_import(
    file: Annotated[Path, typer.Argument(
        help="民政临时救助名单 .csv 或 .xlsx（身份证号、姓名、救助金额、发放日期、救助编号）")],
    file_id: Annotated[str, typer.Option(help="文件编号（民政的批次号）：同一编号只导入一次")],
) -> None:
    """导入民政临时救助：高额医疗费用化解补助扣除当年已领的临时救助（整个文件导入或不导入，出错时指出行号）。"""
    content = read_input(file)
    with unit_of_work() as session:
        result = import_temporary_assistance(session, file.name, content, file_id=file_id, actor="cli")
    if result.already:
        typer.echo(f"文件 {result.file_id} 已导入过（{result.grants} 笔，{result.amount} 元），本次未改变任何内容。")
    else:
        typer.echo(f"已导入民政临时救助 {result.grants} 笔，合计 {result.amount} 元（文件 {result.file_id}）。")


@app.command()
def renew(
    year: Annotated[int, typer.Option(help="新年度")],
    registration_date: Annotated[str, typer.Option(help="登记日期 YYYY-MM-DD（集中参保期内）")],
) -> None:
    """年度续保：上年度参保人员转入新年度（重新判定类别与资助）。"""
    day = parse_day(registration_date, "--registration-date")
    with unit_of_work() as session, Progress(TextColumn("年度续保"), BarColumn(), MofNCompleteColumn(),
                                            console=PROGRESS) as bar:
        task = bar.add_task("renew", total=None)
        result = renew_year(session, packaged_editions(), year=year, registration_date=day, actor="cli",
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
    typer.echo(f"{year} 年度续保 {result.renewed} 人。")
    for reason, count in result.skipped.items():
        typer.echo(f"  未续保 {count} 人：{reason}")


@app.command()
def reconcile(
    day: Annotated[str, typer.Argument(help="对账日期 YYYY-MM-DD")],
    statement: Annotated[Path | None, typer.Option(
        help="银行、税务当日的对账单（CSV 或 Excel：渠道、银行、笔数、金额）")] = None,
) -> None:
    """按渠道、银行列出当日缴费与退费合计；给出对账单时逐项核对，有不符则退出码为 1。"""
    from yibao.enrollment.collection import read_statement

    when = parse_day(day, "日期")
    content = read_input(statement) if statement is not None else None
    with unit_of_work() as session:
        statements = read_statement(statement.name, content or b"") if statement is not None else None
        rows = reconcile_day(session, when, statements or ())
    if not rows:
        typer.echo(f"{when} 没有缴费或退费记录。")
        return
    table = Table(title=f"{when} 缴费对账")
    for column in ("渠道", "银行", "笔数", "金额", "退费笔数", "退费金额", "净额",
                   *(("对账单笔数", "对账单金额", "结果") if statements is not None else ())):
        table.add_column(column, justify="right")
    for row in rows:
        stated = () if statements is None else (
            "—" if row.statement_count is None else str(row.statement_count),
            "—" if row.statement_amount is None else fmt(row.statement_amount),
            "对账单无此项" if row.matched is None else "相符" if row.matched else "不符")
        table.add_row(PAYMENT_CHANNELS.get(row.channel, row.channel), BANKS.get(row.bank or "", row.bank or "—"),
                      str(row.payments), fmt(row.paid), str(row.refunds), fmt(row.refunded), fmt(row.net), *stated)
    Console().print(table)
    if statements is None:
        return
    wrong = [row for row in rows if not row.matched]
    for row in wrong:
        theirs = "对账单无此项" if row.statement_count is None or row.statement_amount is None else (
            f"对账单 {row.statement_count} 笔 {fmt(row.statement_amount)} 元")
        typer.echo(f"不符：{PAYMENT_CHANNELS.get(row.channel, row.channel)} {BANKS.get(row.bank or '', '')}".rstrip()
                   + f"：系统 {row.payments} 笔 {fmt(row.paid)} 元，{theirs}")
    typer.echo(f"对账 {len(rows)} 项，不符 {len(wrong)} 项。")
    if wrong:
        raise typer.Exit(code=1)


@app.command("person-add")
def person_add(
    certno: Annotated[str, typer.Argument(help="身份证号")],
    name: Annotated[str, typer.Argument(help="姓名")],
    town: Annotated[str, typer.Option(help="户籍所在镇（街道）代码；非本区户籍不填")] = "",
    phone: Annotated[str, typer.Option(help="联系电话")] = "",
    employee_insured: Annotated[bool, typer.Option(help="已参加职工医保")] = False,
) -> None:
    """登记参保人（本区户籍填 --town）。"""
    with unit_of_work() as session:
        person = register_person(session, certno=certno, name=name, local=bool(town), town=town or None,
                                 phone=phone or None, employee_insured=employee_insured)
        typer.echo(f"已登记：{person.name}，人员编号 {person.psn_no}，出生日期 {person.birth_date}")


@app.command("certificate-add")
def certificate_add(
    psn_no: str,
    kind: Annotated[str, typer.Option(help="minimum_living / marginal_low_income / disabled_grade_1 …")],
    cert_no: Annotated[str, typer.Option(help="证件编号")],
    valid_from: Annotated[str, typer.Option(help="有效期起 YYYY-MM-DD")],
    valid_to: Annotated[str, typer.Option(help="有效期止 YYYY-MM-DD；长期有效不填")] = "",
) -> None:
    """登记资助或救助证件及其有效期。"""
    start = parse_day(valid_from, "--valid-from")
    end = parse_day(valid_to, "--valid-to") if valid_to else None
    with unit_of_work() as session:
        add_certificate(session, psn_no=psn_no, kind=kind, cert_no=cert_no, valid_from=start, valid_to=end)
    typer.echo("证件已登记。")


@app.command()
def enroll(
    psn_no: str,
    year: Annotated[int, typer.Option(help="参保年度")],
    registration_date: Annotated[str, typer.Option(help="登记日期 YYYY-MM-DD")],
    channel: Annotated[str, typer.Option(help="zlb_app / alipay / window / self_service / school")] = "window",
    student: Annotated[bool, typer.Option(help="在校中小学生")] = False,
    school_name: Annotated[str, typer.Option(help="学校（学校办理时）")] = "",
    adult_tier: Annotated[str, typer.Option(help="2018 年度成年居民档次 adult_a / adult_b")] = "",
    proxy_name: Annotated[str, typer.Option(help="代办人姓名")] = "",
    proxy_certno: Annotated[str, typer.Option(help="代办人身份证号")] = "",
    late_exception: Annotated[str, typer.Option(help="补办例外 resident_interruption / employee_transfer / "
                                                     "demobilised / newborn")] = "",
    event_date: Annotated[str, typer.Option(help="例外的相关日期 YYYY-MM-DD")] = "",
) -> None:
    """参保登记（集中参保期内或年度中间补办），并生成缴费单。"""
    request = EnrollmentRequest(
        psn_no, year, parse_day(registration_date, "--registration-date"), channel, student=student,
        school_name=school_name or None, adult_tier=adult_tier or None, proxy_name=proxy_name or None,
        proxy_certno=proxy_certno or None, late_exception=late_exception or None,
        event_date=parse_day(event_date, "--event-date") if event_date else None)
    with unit_of_work() as session:
        e = enroll_person(session, packaged_editions(), request, actor="cli")
        typer.echo(f"已登记 {e.year} 年度参保：类别 {e.category}，个人缴费 {fmt(e.personal_amount)} 元，"
                   f"政府补助 {fmt(e.government_amount)} 元，待遇自 {e.benefit_start} 起（{e.benefit_basis}）")


@app.command("enroll-cancel")
def enroll_cancel(
    psn_no: str,
    enrollment_id: str,
    reason: Annotated[str, typer.Option(help="注销原因")],
    on: Annotated[str, typer.Option(help="注销日期 YYYY-MM-DD")],
) -> None:
    """注销参保登记；已缴费的全额退费。"""
    with unit_of_work() as session:
        cancel_enrollment(session, psn_no=psn_no, enrollment_id=enrollment_id, reason=reason,
                          on=parse_day(on, "--on"), actor="cli")
    typer.echo("已注销。")


@app.command("agreement-sign")
def agreement_sign(
    psn_no: str,
    bank: Annotated[str, typer.Option(help="boc / abc / icbc / ccb / bocom / psbc / nbcb / rcc")],
    card_no: Annotated[str, typer.Option(help="银行卡号")],
    signed_on: Annotated[str, typer.Option(help="签订日期 YYYY-MM-DD")],
) -> None:
    """签订银行卡代扣协议（换卡或换银行须重新签订）。"""
    with unit_of_work() as session:
        sign_agreement(session, psn_no=psn_no, bank=bank, card_no=card_no,
                       signed_on=parse_day(signed_on, "--signed-on"))
    typer.echo("代扣协议已签订。")


@app.command()
def pay(
    bill_no: str,
    amount: Annotated[str, typer.Option(help="缴费金额（须与应缴一致）")],
    channel: Annotated[str, typer.Option(help="bank_withholding / wechat / alipay / cash / school")],
    paid_on: Annotated[str, typer.Option(help="缴费日期 YYYY-MM-DD")],
    reference: Annotated[str, typer.Option(help="缴费流水号")],
    bank: Annotated[str, typer.Option(help="银行（现金、代扣）")] = "",
    card_no: Annotated[str, typer.Option(help="银行卡号（代扣）")] = "",
    payer_name: Annotated[str, typer.Option(help="代缴人姓名")] = "",
    payer_certno: Annotated[str, typer.Option(help="代缴人身份证号")] = "",
) -> None:
    """登记缴费；缴费后参保登记生效。"""
    request = PaymentRequest(bill_no, channel, amount, parse_day(paid_on, "--paid-on"), reference, bank or None,
                             card_no or None, payer_name or None, payer_certno or None)
    with unit_of_work() as session:
        payment = pay_contribution(session, request, actor="cli")
        typer.echo(f"已缴费 {fmt(payment.amount)} 元（{PAYMENT_CHANNELS[payment.channel]}）。")



@app.command("institution-access")
def institution_access(
    code: str,
    schemes: Annotated[str, typer.Option(help="sm2,tif,apikey,secret 中的一种或几种")] = "",
    public_key: Annotated[str, typer.Option(help="cainfo 验签用的 SM2 公钥（04 开头）")] = "",
    paas_id: Annotated[str, typer.Option(help="省级网关的 x-tif-paasid")] = "",
) -> None:
    """设定定点机构的接口接入方式（数字签名、网关请求头、apikey；明文密钥仅演示/旧接入）。"""
    from yibao.institutions.service import set_gateway_access

    with unit_of_work() as session:
        done = set_gateway_access(session, code, auth_schemes=schemes or None, public_key=public_key or None,
                                  paas_id=paas_id or None)
        key = "已登记" if done.public_key else "未登记"
        typer.echo(f"{done.fixmedins_code}：接入方式 {done.auth_schemes}；签名公钥{key}")


@app.command("card-issue")
def card_issue(psn_no: str, card_no: str, card_sn: str,
               issued_on: Annotated[str, typer.Option(help="发卡日期 YYYY-MM-DD")] = "") -> None:
    """登记发放给参保人的社会保障卡（原卡视为补换）。"""
    from yibao.people.cards import issue_card

    day = parse_day(issued_on, "--issued-on") if issued_on else dt.date.today()
    with unit_of_work() as session:
        card = issue_card(session, psn_no=psn_no, card_no=card_no, card_sn=card_sn, issued_on=day, actor="cli")
        typer.echo(f"已登记社会保障卡 {card.card_no}（{psn_no}）。")


@app.command("card-lost")
def card_lost(card_no: str) -> None:
    """社会保障卡挂失：此后该卡不能用于就医结算。"""
    from yibao.people.cards import report_lost

    with unit_of_work() as session:
        report_lost(session, card_no=card_no, actor="cli")
        typer.echo(f"社会保障卡 {card_no} 已挂失。")


if __name__ == "__main__":  # pragma: no cover
    app()
