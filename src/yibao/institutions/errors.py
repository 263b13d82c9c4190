"""The institutions' named errors (ARCHITECTURE.md convention 7)."""

from __future__ import annotations

from yibao.errors import Conflict, InvalidInput, Named, NotFound, Refused


class InstitutionNotFound(Named, NotFound):
    code = "institution_not_found"
    default_field = "fixmedins_code"
    template = "没有编码为 {code} 的定点医药机构"


class InstitutionTerminated(Named, Refused):
    """The service agreement is terminated (解除协议, POLICY.md §12): no settlement there any more."""

    code = "institution_terminated"
    default_field = "fixmedins_code"
    template = "{name} 已解除医保定点服务协议，不能医保结算"


class InstitutionSuspended(Named, Refused):
    """Settlement suspended until a date (暂停结算, POLICY.md §12)."""

    code = "institution_suspended"
    default_field = "fixmedins_code"
    template = "{name} 医保结算暂停至 {until}，期间不能医保结算"


class DoctorNotFound(Named, NotFound):
    code = "doctor_not_found"
    default_field = "dr_code"
    template = "没有编码为 {dr_code} 的医保医师"


class DeviceNotFound(Named, NotFound):
    code = "device_not_found"
    default_field = "dev_no"
    template = "{fixmedins_code} 没有登记编号为 {dev_no} 的结算终端"


class DeviceTaken(Named, Conflict):
    code = "device_taken"
    default_field = "dev_no"
    template = "结算终端 {dev_no} 已登记在 {owner}：一台终端只属于一家机构，请先在原机构停用"


class DoctorOutOfPoints(Named, Refused):
    """A doctor at 0 points may not prescribe what the funds pay until the next year (POLICY.md §12 ASSUMPTION)."""

    code = "doctor_out_of_points"
    default_field = "bilg_dr_codg"
    template = ("医师 {dr_code} 本年度医保医师积分已扣完，{year} 年内不能开具医保基金支付的项目（第 {feedetl_sn} 条）："
                "请由其他医师开具，或按自费项目收费")


# ---------------------------------------------------------------------------------------------------
# The national lists (institutions/national_lists.py) and the institutions' item matching (matching.py)


class UnknownNationalList(Named, InvalidInput):
    code = "unknown_national_list"
    default_field = "list"
    template = "没有目录“{key}”：可选 {choices}"


class BadListFile(Named, InvalidInput):
    code = "bad_list_file"
    default_field = "file"
    template = "{problem}：整个文件未导入"


class BadListRow(Named, InvalidInput):
    code = "bad_list_row"
    default_field = "file"
    template = "第 {line} 行：{problem}；整个文件未导入，请改正后重新导入"


class UnknownListType(Named, InvalidInput):
    code = "unknown_list_type"
    default_field = "list_type"
    template = "目录类别 list_type “{list_type}” 不在字典中：可选 {choices}"


class MatchCodeUnknown(Named, InvalidInput):
    code = "match_code_unknown"
    default_field = "med_list_codg"
    template = "医疗目录编码 {code} 不在本统筹区的{title}中（或已失效）：请先核对 1312 或目录下载的编码"


class AlreadyMatched(Named, Conflict):
    """The platform's rule: a matched item is withdrawn (3302) before it is matched again (3301)."""

    code = "item_already_matched"
    default_field = "fixmedins_hilist_id"
    template = "本机构目录 {item}（{list_type}）已对照到 {code}：改对照请先用 3302 撤销原对照"


class MatchNotFound(Named, NotFound):
    code = "item_match_not_found"
    default_field = "fixmedins_hilist_id"
    template = "本机构目录 {item}（{list_type}）没有有效的对照 {code}"


class MatchMismatch(Named, Refused):
    """A fee line names an item of the institution matched to another catalogue code (串换, POLICY.md §12)."""

    code = "item_match_mismatch"
    default_field = "medins_list_codg"
    template = ("本机构目录 {item} 已对照到医保目录 {matched}，本条费用却按 {code} 上传："
                "请按对照的编码上传，或先更正对照")
