"""The settlement's named errors (ARCHITECTURE.md convention 7): each a stable code, the field it is about and
its Chinese message; the gateway's err_msg, the API's problem JSON and the pages carry the code."""

from __future__ import annotations

from typing import Any, ClassVar

from yibao.errors import Conflict, InvalidInput, Named, NotFound, Refused

# --- standing: who may be settled, where (POLICY.md §2, §3, §5, §9)


class NotInsured(Named, Refused):
    """No live enrollment for the year of care."""

    code = "not_insured"
    default_field = "psn_no"
    template = "{name} 不能享受医保待遇：{year} 年度未参保"


class ContributionUnpaid(Named, Refused):
    """Enrolled, but the year's contribution is not paid, so the enrollment is not in force."""

    code = "contribution_unpaid"
    default_field = "psn_no"
    template = "{name} 不能享受医保待遇：{year} 年度参保费用未缴纳，参保登记尚未生效"


class OutsideBenefitPeriod(Named, Refused):
    """Insured for the year, but the day of care is outside the benefit period (waiting period, late enrollment)."""

    code = "outside_benefit_period"
    default_field = "psn_no"
    template = "{name} 不能享受医保待遇：{day} 不在待遇享受期（{start} 至 {end}）"


class CredentialMissing(Named, InvalidInput):
    code = "credential_missing"
    default_field = "mdtrt_cert_no"
    template = "缺少就诊凭证编号 mdtrt_cert_no（凭证类型 {cert_type}：01 电子凭证令牌、02 身份证号、03 社会保障卡卡号）"


class CredentialOfAnotherPerson(Named, Refused):
    code = "credential_other_person"
    default_field = "mdtrt_cert_no"
    template = "就诊凭证（{cert_type}）不是人员 {psn_no} 本人的，请核对后重试"


class NoCrossRegionFiling(Named, Refused):
    code = "no_cross_region_filing"
    default_field = "fixmedins_code"
    template = "在{region}就医须先办理异地就医备案（{source}）"


class NoCrossRegionFilingForClaim(Named, Refused):
    code = "no_cross_region_filing"
    default_field = "region"
    template = "在{region}就医的费用须先办理异地就医备案才能报销"


class NotCrossProvinceDesignated(Named, Refused):
    code = "not_cross_province_designated"
    default_field = "fixmedins_code"
    template = "{name} 不是跨省异地就医定点医疗机构"


class NoSpecialDiseaseFiling(Named, Refused):
    code = "no_special_disease_filing"
    default_field = "med_type"
    template = "门诊特殊病种待遇须有有效的门诊特病备案（POLICY.md §5、§9）"


class DiseaseNotFiled(Named, Refused):
    """The special-disease claim names a disease the person has no valid filing for (POLICY.md §5)."""

    code = "disease_not_filed"
    default_field = "dise_codg"
    template = "没有病种 {code} 的有效门诊特病备案（已备案：{filed}）：请按备案的病种就医，或先办理该病种的备案"


class SpecialDiseaseUnnamed(Named, InvalidInput):
    code = "special_disease_unnamed"
    default_field = "dise_codg"
    template = "已备案多个门诊特病（{filed}）：请在就诊信息（2203）中填写本次治疗的病种代码 dise_codg"


class SpecialDiseaseElsewhere(Named, Refused):
    """The filing names the institution where the disease is treated (选定就医机构, POLICY.md §5)."""

    code = "special_disease_elsewhere"
    default_field = "fixmedins_code"
    template = "{disease}的门诊特病备案选定在 {place} 就医，不能在本机构按门诊特病结算"


# --- visits


class UnknownMedType(Named, InvalidInput):
    code = "unknown_med_type"
    default_field = "med_type"
    template = "医疗类别 {med_type!r} 不受理（可选：{choices}）"


class VisitNotFound(Named, NotFound):
    code = "visit_not_found"
    default_field = "mdtrt_id"
    template = "没有就诊 {mdtrt_id}（或不属于本机构）"


class VisitOfAnotherPerson(Named, InvalidInput):
    code = "visit_of_another_person"
    default_field = "psn_no"
    template = "就诊 {mdtrt_id} 不是人员 {psn_no} 的"


class VisitAlreadySettled(Named, Conflict):
    code = "visit_already_settled"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 已结算{then}"
    defaults: ClassVar[dict[str, Any]] = {"then": ""}


class VisitCancelled(Named, Conflict):
    code = "visit_cancelled"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 已撤销{then}"
    defaults: ClassVar[dict[str, Any]] = {"then": ""}


class SettledVisitLocked(Named, Conflict):
    """A settled visit changes only after its settlement is cancelled."""

    code = "visit_already_settled"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 已结算，须先撤销结算再{action}"


class VisitNotOpen(Named, Conflict):
    code = "visit_not_open"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 当前{status}，不能{action}"


class NotAnInpatientStay(Named, Conflict):
    code = "not_an_inpatient_stay"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 不是在院的住院就诊"


class NotDischarged(Named, Refused):
    code = "not_discharged"
    default_field = "mdtrt_id"
    template = "住院就诊 {mdtrt_id} 尚未办理出院（2402），不能结算；中途结算暂不支持"


class DischargeBeforeAdmission(Named, InvalidInput):
    code = "discharge_before_admission"
    default_field = "endtime"
    template = "出院时间早于入院时间"


class VisitHasFees(Named, Conflict):
    code = "visit_has_fees"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 仍有费用明细，须先删除费用明细"


# --- fee lines


class NoFeeLines(Named, InvalidInput):
    code = "no_fee_lines"
    default_field = "feedetail"
    template = "feedetail 不能为空"


class DuplicateFeeSerial(Named, Conflict):
    code = "duplicate_fee_serial"
    default_field = "feedetl_sn"
    template = "费用明细 {feedetl_sn}：明细流水号重复"


class NotInCatalogue(Named, InvalidInput):
    code = "not_in_catalogue"
    default_field = "med_list_codg"
    template = "费用明细 {feedetl_sn}：医保目录中没有编码 {code}"


class BadReturnLine(Named, InvalidInput):
    code = "bad_return_line"
    default_field = "init_feedetl_sn"
    template = "费用明细 {feedetl_sn}：退费对应的原明细 {original} 不存在或项目不同"


class BadFeeQuantity(Named, InvalidInput):
    """A count or price that cannot be: a return with a positive count, a sale with none, a negative price."""

    code = "bad_fee_quantity"
    default_field = "cnt"
    template = "费用明细 {feedetl_sn}：{reason}"


class FeeOutsideVisit(Named, InvalidInput):
    code = "fee_outside_visit"
    default_field = "fee_ocur_time"
    template = "费用明细 {feedetl_sn}：费用发生时间不在就诊期间"


class FeeAmountMismatch(Named, InvalidInput):
    code = "fee_amount_mismatch"
    default_field = "det_item_fee_sumamt"
    template = "费用明细 {feedetl_sn}：明细金额 {amount} 不等于数量 × 单价 {expected}"


class FeeLinesNotFound(Named, NotFound):
    code = "fee_lines_not_found"
    default_field = "feedetl_sn"
    template = "没有这些未结算的费用明细：{serials}"


class NothingToSettle(Named, Refused):
    code = "nothing_to_settle"
    default_field = "mdtrt_id"
    template = "就诊 {mdtrt_id} 没有待结算的费用明细"


# --- settlements


class TotalMismatch(Named, InvalidInput):
    code = "total_mismatch"
    default_field = "medfee_sumamt"
    template = "medfee_sumamt {sent} 与已上传费用明细合计 {total} 不符"


class SettlementNotFound(Named, NotFound):
    code = "settlement_not_found"
    default_field = "setl_id"
    template = "没有结算 {setl_id}（或不属于本机构）"


class SettlementAlreadyCancelled(Named, Conflict):
    code = "settlement_already_cancelled"
    default_field = "setl_id"
    template = "结算 {setl_id} 已撤销"


class CancellationNotCancellable(Named, InvalidInput):
    code = "cancellation_not_cancellable"
    default_field = "setl_id"
    template = "撤销记录本身不能再撤销"


class SettlementNotCancelled(Named, Conflict):
    code = "settlement_not_cancelled"
    default_field = "setl_id"
    template = "结算 {setl_id} 未被撤销，无需恢复"


class VisitSettledAgain(Named, Conflict):
    code = "visit_settled_again"
    default_field = "setl_id"
    template = "就诊 {mdtrt_id} 已重新结算，不能恢复原结算"


# --- manual reimbursement and estimates


class UnknownRegion(Named, InvalidInput):
    code = "unknown_region"
    default_field = "region"
    template = "就医地区只能是：{choices}"


class PlaceRequired(Named, InvalidInput):
    code = "place_required"
    default_field = "place"
    template = "请填写就医机构或地点"


class CategoryRequired(Named, InvalidInput):
    code = "category_required"
    default_field = "category"
    template = "请选择参保人员类别：{choices}"


class NoAmounts(Named, InvalidInput):
    code = "no_amounts"
    default_field = "amount"
    template = "请至少填写一项医疗费用"


# --- maternity subsidy (生育医疗费定额补助, POLICY.md §8, S18 §6)


class MaternityByClaim(Named, Refused):
    """med_type 51/52 (生育门诊/生育住院) are recognised, but Fenghua's residents are paid a fixed subsidy instead."""

    code = "maternity_by_claim"
    default_field = "med_type"
    template = ("城乡居民生育医疗费实行定额补助，不在医院直接结算：请参保人在婴儿出生后 {months} 个月内"
                "凭出生医学证明到区医保中心申领（POLICY.md §8）")


class MaternityNotEligible(Named, Refused):
    code = "maternity_not_eligible"
    default_field = "psn_no"
    template = "{name} 不能申领生育医疗费定额补助：{reason}"


class MaternityClaimLate(Named, Refused):
    code = "maternity_claim_late"
    default_field = "birth_date"
    template = "生育医疗费定额补助须在婴儿出生后 {months} 个月内申领（出生 {birth}，最迟 {last}）：已过申领期限"


class MaternityClaimedBefore(Named, Conflict):
    code = "maternity_claimed_before"
    default_field = "birth_date"
    template = "{birth} 这次生育的定额补助已申领（{claim_no}）：每次生育只能申领一次"


class MaternityAmountUnset(Named, Refused):
    code = "maternity_amount_unset"
    default_field = "birth_date"
    template = "{edition} 年度政策的生育医疗费定额补助标准尚未设定：请管理员在“政策参数”中设定并经批准后再办理"


class MaternityClaimNotFound(Named, NotFound):
    code = "maternity_claim_not_found"
    default_field = "claim_no"
    template = "没有编号为 {claim_no} 的生育医疗费定额补助"
