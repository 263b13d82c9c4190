"""Benchmark: claims adjudicated per second by the policy chain on one core (issue 2).

A realistic mix of claims for a synthetic population: about 78% general outpatient visits of 1-8 fee
lines (甲/乙/丙, some over the price ceiling), 15% inpatient stays of 5-40 lines and 7% outpatient
special-disease treatments, each person's claims settled in date order against their accumulators, with
the trace built as real settlement builds it. Prints throughput, per-claim p50/p99 and peak memory.

    python bench/engine.py [--claims 200000] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import statistics
import time
from decimal import Decimal

from yibao.policy.chain import EMPTY, Accumulators, Claim, FeeLine, Insured, ItemClass, settle
from yibao.policy.editions import Benefit, Level, packaged_editions

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


def make_claims(rng: random.Random, count: int) -> list[tuple[Insured, Claim]]:
    levels, weights = zip(*LEVEL_WEIGHTS, strict=True)
    people = []
    for _ in range(max(1, count // 6)):
        special = rng.random() < 0.04
        category = rng.choices(("adult", "infant", "minor", "student"), (70, 8, 7, 15))[0]
        assistance = rng.choice(("minimum_living", "extreme_poverty")) if rng.random() < 0.05 else None
        people.append(Insured(category, special, assistance))
    claims = []
    for number in range(count):
        insured = rng.choice(people)
        roll = rng.random()
        day = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        level = rng.choices(levels, weights)[0]
        if roll < 0.07 and insured.special_disease_patient:
            benefit, lines = Benefit.SPECIAL_DISEASE, [make_line(rng, 50, 3000) for _ in range(rng.randint(1, 6))]
        elif roll < 0.22:
            benefit, lines = Benefit.INPATIENT, [make_line(rng, 20, 4000) for _ in range(rng.randint(5, 40))]
        else:
            benefit, lines = Benefit.OUTPATIENT, [make_line(rng, 5, 300) for _ in range(rng.randint(1, 8))]
        claims.append((insured, Claim(f"c{number}", benefit, day, level, tuple(lines))))
    claims.sort(key=lambda pair: pair[1].date)
    return claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    editions = packaged_editions()
    rng = random.Random(args.seed)
    claims = make_claims(rng, args.claims)
    mix = {b: sum(1 for _, c in claims if c.benefit is b) for b in Benefit}
    lines = sum(len(c.lines) for _, c in claims)
    totals: dict[Insured, Accumulators] = {}
    latencies = []
    clock = time.perf_counter_ns
    paid = Decimal(0)
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
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"claims            {len(claims):>12,}  (outpatient {mix[Benefit.OUTPATIENT]:,}, inpatient "
          f"{mix[Benefit.INPATIENT]:,}, special disease {mix[Benefit.SPECIAL_DISEASE]:,}; {lines:,} fee lines)")
    print(f"elapsed           {elapsed:>12.2f} s on one core")
    print(f"throughput        {len(claims) / elapsed:>12,.0f} claims/s   (target ≥ 20,000; goal 50,000)")
    print(f"latency p50       {latencies[len(latencies) // 2] / 1000:>12.1f} µs")
    print(f"latency p99       {latencies[int(len(latencies) * 0.99)] / 1000:>12.1f} µs")
    print(f"latency mean      {statistics.fmean(latencies) / 1000:>12.1f} µs")
    print(f"peak RSS          {peak_mib:>12.1f} MiB (includes the generated claims)")
    print(f"fund paid         {paid:>12,.2f} yuan")


if __name__ == "__main__":
    main()
