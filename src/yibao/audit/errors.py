"""The audit's named errors (ARCHITECTURE.md convention 7)."""

from __future__ import annotations

from yibao.errors import Conflict, InvalidInput, Named, NotFound, Refused


class ScanPeriodInvalid(Named, InvalidInput):
    code = "scan_period_invalid"
    default_field = "start"
    template = "稽查期间无效：{problem}"


class UnknownRule(Named, InvalidInput):
    code = "unknown_rule"
    default_field = "rules"
    template = "没有稽查规则 {rule_id}：可选 {choices}"


class UnknownViolationType(Named, InvalidInput):
    code = "unknown_violation_type"
    default_field = "vola_type"
    template = "违规类型应为：{choices}"


class FindingNotFound(Named, NotFound):
    code = "finding_not_found"
    default_field = "finding_id"
    template = "没有疑点 {finding_id}"


class FindingTaken(Named, Conflict):
    code = "finding_taken"
    default_field = "finding_id"
    template = "疑点 {finding_id} 已{state}，不能再{action}"


class CaseNotFound(Named, NotFound):
    code = "case_not_found"
    default_field = "case_id"
    template = "没有稽查案件 {case_id}"


class CaseWrongStatus(Named, Conflict):
    code = "case_wrong_status"
    default_field = "case_id"
    template = "案件 {ref} 当前为“{status}”，不能{action}"


class CaseNeedsParty(Named, InvalidInput):
    code = "case_needs_party"
    default_field = "fixmedins_code"
    template = "案件须写明被查的定点机构（参保人员违规的案件写明参保人）"


class OwnCase(Named, Refused):
    """Four eyes (POLICY.md §12): the one who opened the case or proposed the decision does not decide it."""

    code = "own_case"
    default_field = "case_id"
    template = "稽查决定须由立案人和拟定处理意见人以外的管理员作出（{role}：{who}）"


class SanctionNotAllowed(Named, Refused):
    code = "sanction_not_allowed"
    default_field = "sanctions"
    template = "{type}案件不能作出“{what}”处理（依据：{source}）"


class SanctionOutOfRange(Named, InvalidInput):
    code = "sanction_out_of_range"
    default_field = "sanctions"
    template = "{type}案件的{what}应在 {low}–{high} {unit}之间，不是 {value}（依据：{source}）"


class SanctionInvalid(Named, InvalidInput):
    code = "sanction_invalid"
    default_field = "sanctions"
    template = "处理意见第 {number} 项：{problem}"


class RecoveryTooLarge(Named, Refused):
    code = "recovery_too_large"
    default_field = "amount"
    template = "结算 {setl_id} 的{fund}只支付了 {paid} 元（已追回或拒付 {taken} 元），不能再追回 {amount} 元"


class PointsBelowZero(Named, Refused):
    code = "points_below_zero"
    default_field = "points"
    template = "医师 {dr_code} 本年度只剩 {left} 分，不能扣 {points} 分（积分不能为负）"


class TextRequired(Named, InvalidInput):
    code = "text_required"
    default_field = "text"
    template = "请填写{what}"


class DocumentRefused(Named, InvalidInput):
    code = "document_refused"
    default_field = "file"
    template = "{problem}"


class DocumentNotFound(Named, NotFound):
    code = "document_not_found"
    default_field = "document_id"
    template = "案件中没有编号为 {document_id} 的证据文件"


class AuditRuleRefused(Named, Refused):
    """A real-time rule whose hit refuses the settlement (rules.yaml `realtime: refuse`)."""

    code = "audit_rule_refused"
    default_field = "feedetl_sn"
    template = "智能审核未通过（{rule_id} {rule_name}）：{content}。请核对并删除或更正该费用明细后再结算"


class SwapExists(Named, Conflict):
    code = "swap_exists"
    default_field = "goods_name"
    template = "串换对照表中已有 {code} 与“{goods}”的对照"


class SwapCodeUnknown(Named, InvalidInput):
    code = "swap_code_unknown"
    default_field = "covered_code"
    template = "医保目录中没有编码 {code}：串换对照表的医保项目须是目录中的项目"
