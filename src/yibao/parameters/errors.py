"""The parameter amendments' named errors (ARCHITECTURE.md convention 7)."""

from __future__ import annotations

from yibao.errors import Conflict, Forbidden, InvalidInput, Named, NotFound


class UnknownParameter(Named, InvalidInput):
    code = "unknown_parameter"
    default_field = "path"
    template = "政策版本 {edition} 没有可修改的参数 {path}：请从参数表中选择（金额、比例、月数、是否）"


class SourceRequired(Named, InvalidInput):
    code = "amendment_source_required"
    default_field = "source"
    template = "请写明依据：文件及条款（如“奉医保〔2023〕5号 第三条”），或以 ASSUMPTION: 开头说明所作的假定"


class OutsideEdition(Named, InvalidInput):
    code = "amendment_outside_edition"
    default_field = "effective_from"
    template = "生效日期 {day} 不在政策版本 {edition} 的施行期内（{start} 至 {end}）"


class EffectiveInClearedMonth(Named, Conflict):
    code = "amendment_in_cleared_month"
    default_field = "effective_from"
    template = ("生效日期 {day} 所在月份已清算（已审核的清算单至 {through}）：已清算月份的结算不再重算，"
                "请把生效日期定在 {through} 之后")


class BadParameterValue(Named, InvalidInput):
    code = "bad_parameter_value"
    default_field = "value"
    template = "参数 {path} 不能取值“{value}”：{problem}"


class AmendmentNotFound(Named, NotFound):
    code = "amendment_not_found"
    default_field = "amendment_id"
    template = "没有编号为 {id} 的参数修改"


class AmendmentDecided(Named, Conflict):
    code = "amendment_decided"
    default_field = "amendment_id"
    template = "参数修改 {id} 已{status}，不能再批准或驳回"


class OwnAmendment(Named, Forbidden):
    """The four-eyes rule: the administrator who proposed a change cannot approve it."""

    code = "own_amendment"
    default_field = "amendment_id"
    template = "参数修改须由另一位管理员批准：{actor} 是提出人"


class DecisionNoteRequired(Named, InvalidInput):
    code = "decision_note_required"
    default_field = "note"
    template = "驳回参数修改请写明原因"
