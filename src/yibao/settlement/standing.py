"""Who may be settled, where and when: the checks before any money is computed (POLICY.md §2–§3, §5, §9).

Each refusal is a named error saying which rule refused it: not insured, contribution unpaid or outside the
benefit period; institution suspended or terminated; care elsewhere without a filing; a special-disease claim
without a valid filing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yibao.enrollment.models import EnrollmentRecord
from yibao.enrollment.service import coverage_on, live_enrollment
from yibao.errors import Refused
from yibao.filings.models import SpecialDiseaseFilingRecord
from yibao.filings.service import cross_region_filing_on, special_disease_filings_on
from yibao.glossary import MATERNITY_MED_TYPES
from yibao.institutions.models import InstitutionRecord
from yibao.institutions.service import REGIONS, check_designated, institution_record
from yibao.kit.money import ZERO
from yibao.people.assistance import received_in_year
from yibao.people.models import PersonRecord
from yibao.people.service import assistance_class_on, certificates_of, person_record
from yibao.policy.chain import Insured
from yibao.policy.editions import Benefit, Edition, Editions
from yibao.settlement.errors import (
    ContributionUnpaid,
    DiseaseNotFiled,
    MaternityByClaim,
    NoCrossRegionFiling,
    NoSpecialDiseaseFiling,
    NotCrossProvinceDesignated,
    NotInsured,
    OutsideBenefitPeriod,
    SpecialDiseaseElsewhere,
    SpecialDiseaseUnnamed,
)
from yibao.statements import Db


@dataclass(frozen=True, slots=True)
class Standing:
    person: PersonRecord
    enrollment: EnrollmentRecord
    insured: Insured
    edition: Edition
    special_diseases: tuple[SpecialDiseaseFilingRecord, ...] = ()  # the filings valid on the day


def not_covered(session: Db, person: PersonRecord, day: dt.date) -> Refused:
    """Why the person has no cover on `day`: no enrollment, unpaid, or outside the benefit period."""
    enrollment = live_enrollment(session, person.psn_no, day.year)
    if enrollment is None:
        return NotInsured(name=person.name, year=day.year)
    if enrollment.status != "active":
        return ContributionUnpaid(name=person.name, year=day.year)
    return OutsideBenefitPeriod(name=person.name, day=day, start=enrollment.benefit_start, end=enrollment.benefit_end)


def standing_on(session: Db, editions: Editions, psn_no: str, day: dt.date) -> Standing:
    """The person's standing for care on `day`: insured, in the benefit period, category and classes."""
    person = person_record(session, psn_no)
    enrollment = coverage_on(session, psn_no, day)
    if enrollment is None:
        raise not_covered(session, person, day)
    special = tuple(special_disease_filings_on(session, psn_no, day))
    assistance = assistance_class_on(certificates_of(session, psn_no), day)
    temporary = received_in_year(session, psn_no, day) if assistance is not None else ZERO
    insured = Insured(enrollment.category, bool(special), assistance, temporary)
    return Standing(person, enrollment, insured, editions.on(day), special)


def needs_cross_region_filing(standing: Standing, region: str) -> bool:
    """Care in a region the edition lists needs a cross-region filing (POLICY.md §9)."""
    return region in standing.edition.care_elsewhere.filing_required_in.value


def check_place(session: Db, standing: Standing, institution: InstitutionRecord, day: dt.date) -> None:
    """Where care may be settled (POLICY.md §9): designated and not suspended; care in a region the edition
    lists needs a cross-region filing; across provinces also a cross-province designated institution."""
    check_designated(institution, day)
    rules = standing.edition.care_elsewhere
    if not needs_cross_region_filing(standing, institution.region):
        return
    if cross_region_filing_on(session, standing.person.psn_no, day) is None:
        raise NoCrossRegionFiling(region=REGIONS[institution.region], source=rules.filing_required_in.source)
    if (
        institution.region == "other_province"
        and rules.cross_province_needs_designated_institution.value
        and not institution.cross_province_designated
    ):
        raise NotCrossProvinceDesignated(name=institution.name)


def check_direct(med_type: str, edition: Edition) -> None:
    """med_type 51/52 (生育) are known to the interface but not settled at the counter: the subsidy is claimed."""
    if med_type in MATERNITY_MED_TYPES:
        raise MaternityByClaim(months=edition.maternity_claim_months.value)


def check_benefit(standing: Standing, benefit: Benefit) -> None:
    """A special-disease claim needs a valid special-disease filing (POLICY.md §5, §9)."""
    if benefit is Benefit.SPECIAL_DISEASE and not standing.insured.special_disease_patient:
        raise NoSpecialDiseaseFiling()


def check_special_disease_place(session: Db, standing: Standing, fixmedins_code: str) -> None:
    """A special-disease visit may open where at least one of the person's filings may be treated (选定就医机构)."""
    check_benefit(standing, Benefit.SPECIAL_DISEASE)
    if not any(f.designated_fixmedins_code in (None, fixmedins_code) for f in standing.special_diseases):
        filed_disease(session, standing, standing.special_diseases[0].disease_code, fixmedins_code)  # names why


def filed_disease(session: Db, standing: Standing, disease_code: str | None,
                  fixmedins_code: str | None) -> SpecialDiseaseFilingRecord:
    """The filing a special-disease claim is settled under (POLICY.md §5; S22 §5 "门诊特殊病种治疗……应事先办理
    相关备案手续"): the valid filing for the disease the claim names, and where that filing names the institution
    of treatment (选定就医机构), only there (`fixmedins_code`: the institution of the claim; None for a manual
    claim of care elsewhere). ASSUMPTION: a claim that names no disease is the person's one filed disease; with
    several filed, it must name one."""
    filings = standing.special_diseases
    if not filings:
        raise NoSpecialDiseaseFiling()
    filed = "、".join(f"{f.disease_code} {f.disease_name}" for f in filings)
    if disease_code:
        matching = [f for f in filings if f.disease_code == disease_code.strip().upper()]
        if not matching:
            raise DiseaseNotFiled(code=disease_code, filed=filed)
    elif len(filings) == 1:
        matching = list(filings)
    else:
        raise SpecialDiseaseUnnamed(filed=filed)
    usable = [f for f in matching if fixmedins_code is None or f.designated_fixmedins_code in (None, fixmedins_code)]
    if not usable:
        first = matching[0]
        place = institution_record(session, first.designated_fixmedins_code or "")
        raise SpecialDiseaseElsewhere(disease=first.disease_name,
                                      place=place.name if place else first.designated_fixmedins_code)
    return usable[0]
