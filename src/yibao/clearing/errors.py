"""The clearing's named errors (ARCHITECTURE.md convention 7)."""

from __future__ import annotations

from yibao.errors import Conflict, InvalidInput, Named, NotFound, Refused


class MonthNotClosed(Named, Refused):
    code = "month_not_closed"
    default_field = "month"
    template = "{month} 尚未结束，不能清算：每月清算在次月 1 日起办理"


class MonthInvalid(Named, InvalidInput):
    code = "month_invalid"
    default_field = "month"
    template = "清算月份应为 YYYY-MM（如 2026-11），不是 {month!r}"


class ClearingExists(Named, Conflict):
    code = "clearing_exists"
    default_field = "month"
    template = "{institution} {month} 的清算单已生成（{clearing_id}，{status}）；如需重算，请先作废该草稿"


class ClearingNotFound(Named, NotFound):
    code = "clearing_not_found"
    default_field = "clearing_id"
    template = "没有清算单 {clearing_id}"


class ClearingWrongStatus(Named, Conflict):
    code = "clearing_wrong_status"
    default_field = "clearing_id"
    template = "清算单 {clearing_id} 当前为“{status}”，不能{action}"


class OwnClearing(Named, Refused):
    code = "own_clearing"
    default_field = "clearing_id"
    template = "清算单须由生成人以外的另一位工作人员审核（生成人：{built_by}）"


class DeductionInvalid(Named, InvalidInput):
    code = "deduction_invalid"
    default_field = "amount"
    template = "扣减{problem}"
