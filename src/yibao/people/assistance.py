"""民政临时救助, civil affairs' temporary assistance, as civil affairs sends it (POLICY.md §7; S22 news: the
personal self-pay that remains "after basic insurance, serious illness, medical assistance and the civil-affairs
temporary assistance" is relieved in full above 30,000).

**The file** (CSV, UTF-8 or GBK, or Excel .xlsx), a header line and one grant a line: 身份证号, 姓名, 救助金额
(yuan, up to two decimals), 发放日期 (YYYY-MM-DD), 救助编号 (civil affairs' number of the grant). A file is
imported once, by the file id the clerk gives it (its batch number): the same id again changes nothing and says
so. A file is taken whole or not at all; the first bad row is named by its line.

What settlement does with it (settlement/standing.py, policy/chain.py): the grants a recipient received in the
policy year up to the service date are deducted from the year's cumulative remaining self-pay before the
high-cost relief's 30,000 is applied. ASSUMPTION: the documents name the deduction, not its timing; a grant counts
from its date on, against the self-pay accumulated in the whole year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from yibao.errors import InvalidInput
from yibao.kit.clock import now
from yibao.kit.idcard import IdNumberError, parse_id_number
from yibao.kit.money import ZERO, MoneyError, money
from yibao.people.models import TemporaryAssistance, TemporaryAssistanceRecord
from yibao.people.service import person_with_certno
from yibao.statements import Db, Read
from yibao.tables import TableRow, check_file_id, read_table

COLUMNS = {"身份证号": "certno", "姓名": "name", "救助金额": "amount", "发放日期": "granted_on", "救助编号": "ref"}


@dataclass(frozen=True, slots=True)
class AssistanceImport:
    file_id: str
    grants: int
    amount: Decimal
    already: bool  # the file had been imported before: nothing was written


def _bad(row: TableRow, problem: str) -> InvalidInput:
    return InvalidInput(f"第 {row.line} 行：{problem}；整个文件未导入，请改正后重新导入", field="file")


def _grant(session: Session, row: TableRow, today: dt.date) -> tuple[str, str, dt.date, Decimal]:
    values = row.values
    try:
        certno = parse_id_number(values.get("certno", "")).number
    except IdNumberError as exc:
        raise _bad(row, f"身份证号无效（{exc}）") from None
    person = person_with_certno(session, certno)
    if person is None:
        raise _bad(row, "身份证号未在本区登记参保人员")
    if values.get("name", "").strip() != person.name:
        raise _bad(row, f"姓名“{values.get('name', '')[:20]}”与登记的姓名不符")
    try:
        amount = money(values.get("amount", ""))
    except MoneyError as exc:
        raise _bad(row, f"救助金额{exc}") from None
    if amount <= 0:
        raise _bad(row, "救助金额应大于 0")
    try:
        granted = dt.date.fromisoformat(values.get("granted_on", ""))
    except ValueError:
        raise _bad(row, "发放日期应为 YYYY-MM-DD") from None
    if not dt.date(2018, 1, 1) <= granted <= today:
        raise _bad(row, "发放日期应在 2018-01-01 至今天之间")
    ref = values.get("ref", "").strip()
    if not ref or len(ref) > 40:
        raise _bad(row, "救助编号不能为空，且不超过 40 个字符")
    return person.psn_no, ref, granted, amount


def import_temporary_assistance(session: Session, filename: str, content: bytes, *, file_id: str,
                                actor: str) -> AssistanceImport:
    """Import civil affairs' file of grants (see the module's docstring)."""
    file_id = check_file_id(file_id, "民政")
    done = session.execute(select(func.count(), func.coalesce(func.sum(TemporaryAssistance.amount), 0))
                           .where(TemporaryAssistance.file_id == file_id)).one()
    if done[0]:
        return AssistanceImport(file_id, int(done[0]), Decimal(done[1]), already=True)
    today, moment = now().date(), now()
    grants: dict[tuple[str, str], tuple[dt.date, Decimal]] = {}
    for row in read_table(filename, content, COLUMNS, tuple(COLUMNS)):
        psn_no, ref, granted, amount = _grant(session, row, today)
        if (psn_no, ref) in grants or session.get(TemporaryAssistance, (psn_no, ref)) is not None:
            raise _bad(row, f"救助编号 {ref} 已导入过")
        grants[(psn_no, ref)] = (granted, amount)
    session.add_all(TemporaryAssistance(psn_no=psn_no, ref=ref, granted_on=granted, amount=amount, file_id=file_id,
                                        created_by=actor, created_at=moment)
                    for (psn_no, ref), (granted, amount) in grants.items())
    session.flush()
    return AssistanceImport(file_id, len(grants), sum((a for _, a in grants.values()), ZERO), already=False)


_GRANTS_OF = Read(TemporaryAssistanceRecord, TemporaryAssistance, TemporaryAssistance.psn_no == bindparam("psn_no"),
                  order_by=(TemporaryAssistance.granted_on, TemporaryAssistance.ref))


def grants_of(db: Db, psn_no: str) -> list[TemporaryAssistanceRecord]:
    return _GRANTS_OF.all(db, psn_no=psn_no)


def received_in_year(db: Db, psn_no: str, day: dt.date) -> Decimal:
    """What the person received in `day`'s year up to `day` (what the high-cost relief deducts on that day)."""
    return sum((g.amount for g in grants_of(db, psn_no) if g.granted_on.year == day.year and g.granted_on <= day),
               ZERO)
