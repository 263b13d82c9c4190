"""Benchmark: claims adjudicated per second by the policy chain on one core (issue 2).

A realistic mix of claims for a synthetic population: about 78% general outpatient visits of 1-8 fee
lines (甲/乙/丙, some over the price ceiling), 15% inpatient stays of 5-40 lines and 7% outpatient
special-disease treatments, each person's claims settled in date order against their accumulators, with
the trace built as real settlement builds it (its text rendered only when read). A second mix has more band
crossings and assistance recipients. Prints throughput, per-claim p50/p99, the stages reached and peak memory.

    python bench/engine.py [--claims 200000] [--seed 7] [--mix counter|heavy|all]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import statistics
import time
from decimal import Decimal
from typing import NamedTuple

from yibao.policy.chain import EMPTY, Accumulators, Claim, FeeLine, Insured, ItemClass, settle
from yibao.policy.editions import Benefit, Editions, Level, packaged_editions

LEVEL_WEIGHTS = [(Level.COMMUNITY, 45), (Level.OTHER, 20), (Level.TERTIARY_A, 20), (Level.TERTIARY_B, 10),
                 (Level.TERTIARY_C, 5)]


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def make_line(rng: random.Random, low: int, high: int) -> FeeLine:
    amount = money(rng, low, high)
    roll = rng.random()
    if roll < 0.55:
        return FeeLine(amount)
    if roll < 0.85:
        prop = rng.choice((None, Decimal("0.05"), Decimal("0.10"), Decimal("0.20")))
        return FeeLine(amount, ItemClass.B, prop)
    if roll < 0.95:
        return FeeLine(amount, ItemClass.C)
    return FeeLine(amount, ItemClass.A, None, (amount / 10).quantize(Decimal("0.01")))


class Mix(NamedTuple):
    """A population and its care: how many claims per person, who receives assistance, how much is inpatient."""

    name: str
    claims_per_person: int
    assistance_share: float
    inpatient_share: float
    inpatient_line_high: int  # yuan: the dearest inpatient fee line


MIXES = {
    "counter": Mix("the counter's mix: mostly outpatient visits", 6, 0.05, 0.15, 4000),
    "heavy": Mix("more band crossings and assistance: a third assistance recipients, half inpatient, dear stays, "
                 "20 claims a person (serious-illness and assistance bands reached)", 20, 0.33, 0.5, 12000),
}


def make_claims(rng: random.Random, count: int, mix: Mix = MIXES["counter"]) -> list[tuple[Insured, Claim]]:
    levels, weights = zip(*LEVEL_WEIGHTS, strict=True)
    people = []
    for _ in range(max(1, count // mix.claims_per_person)):
        special = rng.random() < 0.04
        category = rng.choices(("adult", "infant", "minor", "student"), (70, 8, 7, 15))[0]
        assistance = (rng.choice(("minimum_living", "extreme_poverty")) if rng.random() < mix.assistance_share
                      else None)
        people.append(Insured(category, special, assistance))
    claims = []
    for number in range(count):
        insured = rng.choice(people)
        roll = rng.random()
        day = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        level = rng.choices(levels, weights)[0]
        if roll < 0.07 and insured.special_disease_patient:
            benefit, lines = Benefit.SPECIAL_DISEASE, [make_line(rng, 50, 3000) for _ in range(rng.randint(1, 6))]
        elif roll < 0.07 + mix.inpatient_share:
            benefit, lines = Benefit.INPATIENT, [make_line(rng, 20, mix.inpatient_line_high)
                                                 for _ in range(rng.randint(5, 40))]
        else:
            benefit, lines = Benefit.OUTPATIENT, [make_line(rng, 5, 300) for _ in range(rng.randint(1, 8))]
        claims.append((insured, Claim(f"c{number}", benefit, day, level, tuple(lines))))
    claims.sort(key=lambda pair: pair[1].date)
    return claims


def run(editions: Editions, claims: list[tuple[Insured, Claim]], mix: Mix) -> None:
    counts = {b: sum(1 for _, c in claims if c.benefit is b) for b in Benefit}
    lines = sum(len(c.lines) for _, c in claims)
    totals: dict[Insured, Accumulators] = {}
    latencies = []
    clock = time.perf_counter_ns
    paid = Decimal(0)
    stages: dict[str, int] = {}
    started = time.perf_counter()
    for insured, claim in claims:
        t0 = clock()
        edition = editions.on(claim.date)
        before = totals.get(insured, EMPTY)
        result = settle(edition, insured, claim, before)
        totals[insured] = before + result.added
        latencies.append(clock() - t0)
        paid += result.fund_pay_sumamt
    elapsed = time.perf_counter() - started
    latencies.sort()
    for insured, claim in claims[:20_000]:  # which stages the mix reaches (outside the timing)
        for step in settle(editions.on(claim.date), insured, claim, EMPTY).trace:
            stages[step.stage] = stages.get(step.stage, 0) + 1
    explained = sum(len(step.explanation) for _, claim in claims[:1000]
                    for step in settle(editions.on(claim.date), _, claim, EMPTY).trace)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[{mix.name}]")
    print(f"claims            {len(claims):>12,}  (outpatient {counts[Benefit.OUTPATIENT]:,}, inpatient "
          f"{counts[Benefit.INPATIENT]:,}, special disease {counts[Benefit.SPECIAL_DISEASE]:,}; {lines:,} fee lines)")
    print(f"stages reached    {', '.join(f'{name} {n:,}' for name, n in sorted(stages.items()))} "
          "(first 20,000 claims, each from zero)")
    print(f"elapsed           {elapsed:>12.2f} s on one core")
    print(f"throughput        {len(claims) / elapsed:>12,.0f} claims/s   (goal ≥ 50,000 for the counter's mix)")
    print(f"latency p50       {latencies[len(latencies) // 2] / 1000:>12.1f} µs")
    print(f"latency p99       {latencies[int(len(latencies) * 0.99)] / 1000:>12.1f} µs")
    print(f"latency mean      {statistics.fmean(latencies) / 1000:>12.1f} µs")
    print(f"peak RSS          {peak_mib:>12.1f} MiB (includes the generated claims)")
    print(f"fund paid         {paid:>12,.2f} yuan   (trace on demand: 1,000 claims explained in {explained:,} chars)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", choices=[*MIXES, "all"], default="all")
    args = parser.parse_args()
    editions = packaged_editions()
    for name in MIXES if args.mix == "all" else (args.mix,):
        run(editions, make_claims(random.Random(args.seed), args.claims, MIXES[name]), MIXES[name])


if __name__ == "__main__":
    main()
