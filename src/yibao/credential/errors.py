"""The e-credential's named errors: a stable code, the field it is about, a Chinese message, and the numeric
`ec_code` the e-credential API answers with (`{"code": 1203, "message": "…"}`; 0 is success)."""

from __future__ import annotations

from typing import ClassVar

from yibao.errors import Conflict, Forbidden, InvalidInput, Named, NotFound, Refused, Unauthorized
from yibao.people.towns import DISTRICT_CENTRE_HOTLINE


class CredentialError(Named):
    ec_code: ClassVar[int]


# --- activation through a channel (POLICY.md §10)


class UnknownChannel(CredentialError, Unauthorized):
    code, ec_code, default_field = "ec_unknown_channel", 1001, "channel"
    template = "渠道 {channel} 未在本统筹区登记或已停用，不能激活医保电子凭证"


class BadChannelSignature(CredentialError, Unauthorized):
    code, ec_code, default_field = "ec_bad_channel_signature", 1002, "sign"
    template = "渠道 {channel} 的签名验证失败：报文被改动或不是该渠道签发"


class StaleActivation(CredentialError, Refused):
    code, ec_code, default_field = "ec_stale_activation", 1003, "timestamp"
    template = "激活请求的时间 {timestamp} 超出允许的 {seconds} 秒范围，请重新发起激活"


class FaceCheckMissing(CredentialError, Refused):
    code, ec_code, default_field = "ec_face_check_missing", 1004, "face_verified"
    template = "未通过实人（人脸）核验，不能激活医保电子凭证"


class PersonNotRegistered(CredentialError, NotFound):
    code, ec_code, default_field = "ec_person_not_registered", 1005, "certno"
    template = "该身份证号未在奉化区参保登记，请先到村（社区）或镇（街道）办理参保登记"


class NameMismatch(CredentialError, Refused):
    code, ec_code, default_field = "ec_name_mismatch", 1006, "name"
    template = "姓名与身份证号登记的姓名不一致，请核对后重试"


class ActivationReused(CredentialError, Conflict):
    code, ec_code, default_field = "ec_activation_reused", 1007, "request_id"
    template = "渠道请求号 {request_id} 已用于另一人的激活，请使用新的请求号"


class MalformedActivation(CredentialError, InvalidInput):
    code, ec_code = "ec_malformed_request", 1008
    template = "请求格式不对：{problem}"


# --- the credential's state


class NoCredential(CredentialError, NotFound):
    code, ec_code, default_field = "ec_no_credential", 1101, "psn_no"
    template = "{name} 尚未激活医保电子凭证，请通过国家医保服务平台、浙里办、支付宝、微信或银行 App 激活"


class CredentialSuspended(CredentialError, Refused):
    code, ec_code, default_field = "ec_credential_suspended", 1102, "qrCode"
    template = "该医保电子凭证已被暂停使用，请联系区医保中心（{hotline}）"
    defaults: ClassVar[dict[str, object]] = {"hotline": DISTRICT_CENTRE_HOTLINE}


class CredentialRevoked(CredentialError, Refused):
    code, ec_code, default_field = "ec_credential_revoked", 1103, "qrCode"
    template = "该医保电子凭证已注销或已在新设备上重新激活，请出示当前的医保码"


class CredentialStateUnchanged(CredentialError, Conflict):
    code, ec_code, default_field = "ec_state_unchanged", 1104, "status"
    template = "电子凭证当前状态为“{status}”，不能{action}"


class ReasonRequired(CredentialError, InvalidInput):
    code, ec_code, default_field = "ec_reason_required", 1105, "reason"
    template = "请填写{action}的原因"


# --- the dynamic code and its decoding at the counter


class MalformedCode(CredentialError, InvalidInput):
    code, ec_code, default_field = "ec_malformed_code", 1201, "qrCode"
    template = "不是有效的医保电子凭证二维码，请让参保人刷新医保码后重新扫码"


class ForgedCode(CredentialError, Refused):
    code, ec_code, default_field = "ec_forged_code", 1202, "qrCode"
    template = "医保码验签失败：二维码被篡改或不是医保电子凭证签发，请拒绝受理"


class CodeExpired(CredentialError, Refused):
    code, ec_code, default_field = "ec_code_expired", 1203, "qrCode"
    template = "医保码已过期（有效期 {seconds} 秒），请让参保人刷新医保码后重新扫码"


class CodeAlreadyDecoded(CredentialError, Conflict):
    code, ec_code, default_field = "ec_code_replayed", 1204, "qrCode"
    template = "该医保码已被扫码使用过，请让参保人刷新医保码后重新扫码（截图无效）"


class NotInsuredToday(CredentialError, Refused):
    code, ec_code, default_field = "ec_not_insured", 1206, "qrCode"
    template = "参保人 {day} 不在城乡居民医保待遇享受期内，不能使用医保电子凭证结算"


class UnknownBusinessType(CredentialError, InvalidInput):
    code, ec_code, default_field = "ec_unknown_business_type", 1207, "businessType"
    template = "业务类型 businessType {business_type} 不在国家编码表中，可选：{choices}"


class OrgMismatch(CredentialError, Forbidden):
    code, ec_code, default_field = "ec_org_mismatch", 1208, "orgId"
    template = "orgId {org_id} 与签到的机构 {fixmedins_code} 不一致"


# --- the ecToken in the settlement transactions (mdtrt_cert_type 01)


class TokenUnknown(CredentialError, Unauthorized):
    code, ec_code, default_field = "ec_token_unknown", 1301, "mdtrt_cert_no"
    template = "电子凭证令牌 ecToken 无效，请重新扫描参保人的医保码"


class TokenExpired(CredentialError, Unauthorized):
    code, ec_code, default_field = "ec_token_expired", 1302, "mdtrt_cert_no"
    template = "电子凭证令牌 ecToken 已过期（有效期 {hours} 小时），请重新扫描参保人的医保码"


class TokenOfAnotherInstitution(CredentialError, Forbidden):
    code, ec_code, default_field = "ec_token_other_institution", 1303, "mdtrt_cert_no"
    template = "该电子凭证令牌由其他机构解码获得，本机构不能使用，请重新扫码"


class TokenOfAnotherPerson(CredentialError, Refused):
    code, ec_code, default_field = "ec_token_other_person", 1304, "mdtrt_cert_no"
    template = "电子凭证令牌对应的参保人与 psn_no {psn_no} 不是同一人"


class TokenOfAnotherVisit(CredentialError, Refused):
    code, ec_code, default_field = "ec_token_other_visit", 1305, "mdtrt_cert_no"
    template = "该电子凭证令牌已用于另一次就诊（{mdtrt_id}），本次就诊请重新扫码"


# --- family binding (亲情账户)


class BindSelf(CredentialError, InvalidInput):
    code, ec_code, default_field = "ec_bind_self", 1401, "certno"
    template = "不能绑定本人，请填写亲属的身份证号"


class BindStranger(CredentialError, Refused):
    code, ec_code, default_field = "ec_bind_stranger", 1402, "certno"
    template = "{name} 与您不在同一户籍，无法证明亲属关系；未成年子女请携出生医学证明到窗口办理绑定"


class BindLimit(CredentialError, Refused):
    code, ec_code, default_field = "ec_bind_limit", 1403, "certno"
    template = "每人最多绑定 {limit} 位亲属，请先解绑不再需要的亲属"


class AlreadyBound(CredentialError, Conflict):
    code, ec_code, default_field = "ec_already_bound", 1404, "certno"
    template = "已绑定或已申请绑定 {name}，无需重复办理"


class BindingNotFound(CredentialError, NotFound):
    code, ec_code, default_field = "ec_binding_not_found", 1405, "binding"
    template = "未找到该亲属绑定，或已解绑"


class NotMinorOrElder(CredentialError, Refused):
    code, ec_code, default_field = "ec_not_minor_or_elder", 1406, "certno"
    template = "亲情账户只能绑定未满 {adult_age} 周岁的未成年人或 {elder_age} 周岁以上的老人；{name} 今年 {age} 周岁"


class RelationshipUnfit(CredentialError, InvalidInput):
    code, ec_code, default_field = "ec_relationship_unfit", 1407, "relationship"
    template = "关系“{relationship}”与 {name} 的年龄不符，请选择正确的关系"


class NotBound(CredentialError, Forbidden):
    code, ec_code, default_field = "ec_not_bound", 1408, "for"
    template = "您未绑定该亲属，不能查看或使用其医保码"


class UnknownRelationship(CredentialError, InvalidInput):
    code, ec_code, default_field = "ec_unknown_relationship", 1409, "relationship"
    template = "未知的亲属关系代码 {relationship}，可选：{choices}"
