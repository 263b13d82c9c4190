"""The institutions' named errors (ARCHITECTURE.md convention 7)."""

from __future__ import annotations

from yibao.errors import Named, NotFound, Refused


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
