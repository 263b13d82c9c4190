"""Errors of the policy core. Each carries a stable code and a Chinese message (kit.errors.DomainError)."""

from __future__ import annotations

from yibao.kit.errors import DomainError


class PolicyError(DomainError):
    code = "policy_error"
    http_status = 400


class EditionInvalid(PolicyError):
    """An edition file that fails validation (uncited value, gap in bands, rate outside [0, 1] …)."""

    code = "edition_invalid"
    http_status = 500


class UnknownEdition(PolicyError):
    code = "unknown_edition"


class NoEditionInForce(PolicyError):
    """No edition covers the date (POLICY.md §1: before 2018-01-01 this is an error, not a guess)."""

    code = "no_edition_in_force"


class ParameterNotSet(PolicyError):
    """A parameter the documents leave open and an administrator has not filled yet (POLICY.md §2, §8)."""

    code = "parameter_not_set"


class UnknownCategory(PolicyError):
    code = "unknown_category"


class InvalidClaim(PolicyError):
    """A claim the chain cannot settle as given (bad line, benefit the person may not claim …)."""

    code = "invalid_claim"


class NotEligible(PolicyError):
    """A person or enrollment that the eligibility rules refuse (POLICY.md §2–§3)."""

    code = "not_eligible"
