"""Learn a small spec that every good host satisfies and every bad host fails.

A spec is satisfied when one of its compatibility sets is, and a set when all of its rules match, so a spec is a
disjunction of conjunctions. The learner is greedy sequential covering:

- a set starts from the first good profile no set covers yet (the seed) and adds one condition at a time, each
  true on the seed: the condition keeping the most not-yet-covered good profiles, then ruling out the most
  remaining bad profiles (so one set for the whole good side whenever one exists — then this is greedy set cover
  of the bad profiles); negative conditions (DoesNotExist) only when no positive one rules out anything more;
- when no bad profile is left the set is done; the next set starts from the next uncovered good profile;
- then every condition whose removal leaves each bad profile still failing the set is dropped, and every set
  whose good profiles another set covers too.

Greedy set cover is within a factor ln(n) of the fewest conditions; an exact minimum is NP-hard.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetcompat.authoring.candidates import Condition, StableView, candidates, truth


@dataclass(frozen=True, slots=True)
class Chosen:
    condition: Condition
    good: int  # bit mask over good profiles where it holds
    bad: int  # bit mask over bad profiles where it holds


@dataclass(frozen=True, slots=True)
class LearnedSet:
    conditions: tuple[Chosen, ...]
    covers: int  # good profiles satisfying every condition


@dataclass(frozen=True, slots=True)
class Inseparable:
    """No condition holds on good profile `good` and fails on any of the bad profiles `bad`."""

    good: int
    bad: tuple[int, ...]


def _lowest(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def learn(good: list[StableView], bad: list[StableView]) -> list[LearnedSet] | Inseparable:
    """The learned sets, or the first good profile that no condition separates from some bad profiles."""
    conditions = candidates(good, bad)
    pool = [Chosen(c, g, b) for c, g, b in zip(conditions, truth(conditions, good), truth(conditions, bad),
                                               strict=True)]
    all_bad = (1 << len(bad)) - 1
    uncovered = (1 << len(good)) - 1
    sets: list[LearnedSet] = []
    while uncovered:
        seed = 1 << _lowest(uncovered)
        usable = [c for c in pool if c.good & seed]
        chosen: list[Chosen] = []
        kept, remaining = (1 << len(good)) - 1, all_bad
        while remaining:
            best, best_score = None, (0, 0)
            for positive in (True, False):
                for c in usable:
                    if c.condition.positive != positive:
                        continue
                    ruled_out = (remaining & ~c.bad).bit_count()
                    if not ruled_out:
                        continue
                    score = ((kept & c.good & uncovered).bit_count(), ruled_out)
                    if best is None or score > best_score:
                        best, best_score = c, score
                if best is not None:
                    break
            if best is None:
                return Inseparable(_lowest(seed), tuple(_bits(remaining)))
            chosen.append(best)
            kept &= best.good
            remaining &= best.bad
        sets.append(LearnedSet(tuple(_prune(chosen)), kept))
        uncovered &= ~kept
    return _drop_covered_sets(sets, (1 << len(good)) - 1)


def _prune(chosen: list[Chosen]) -> list[Chosen]:
    """Drop conditions the others make redundant (latest first: the earliest ones did the most work)."""
    kept = list(chosen)
    for condition in reversed(chosen):
        rest = [c for c in kept if c is not condition]
        passing_bad = -1
        for c in rest:
            passing_bad &= c.bad
        if rest and passing_bad == 0:
            kept = rest
    return kept


def _drop_covered_sets(sets: list[LearnedSet], all_good: int) -> list[LearnedSet]:
    """After pruning, a set covers at least the good profiles it was built for; drop sets others make useless."""
    covers = {id(s): _covers(s, all_good) for s in sets}
    out = list(sets)
    for learned in reversed(sets):
        others = 0
        for s in out:
            if s is not learned:
                others |= covers[id(s)]
        if len(out) > 1 and covers[id(learned)] & ~others == 0:
            out.remove(learned)
    return [LearnedSet(s.conditions, covers[id(s)]) for s in out]


def _covers(learned: LearnedSet, all_good: int) -> int:
    mask = all_good
    for c in learned.conditions:
        mask &= c.good
    return mask
