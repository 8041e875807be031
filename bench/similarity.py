"""Benchmark: the duplicate hint of ``/idea submit`` (``bot.text.similar_items``).

What is measured
    200 queries against 1,000 candidate ideas, as ``/idea submit`` calls it: every text is
    "title description", the threshold is the default 0.5 and at most 3 hints are asked
    for.  The ideas are made of real flavour words (so that many share words, as real ideas
    do); a third of the queries are near-duplicates of a candidate (words reordered, a typo,
    a plural, a filler word, other case/accents), the rest are new combinations.

    Reported: total seconds and milliseconds per query, cold (the text caches of
    ``bot.text`` cleared before every query, and the candidates given as a list: as after
    a restart), warm (the same list, the texts' preparation cached) and kept (the
    candidates as a ``Candidates`` built once, as the repository keeps them per challenge
    for a running bot: each query looks only at the ideas that share a word with it), plus
    the hints found, so that runs can be compared for both speed and result.  Also
    ``similarity`` over 200 x 1,000 pairs.

How to run (from the repository root)
    .venv/bin/python bench/similarity.py
    .venv/bin/python bench/similarity.py --repeat 5   # best of 5
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable

from bot import text as bot_text
from bot.text import Candidates, similar_items, similarity

FLAVOURS = (  # noqa: SIM905
    "salted caramel chocolate mint chip vanilla strawberry cheesecake cookie dough mango "
    "pistachio hazelnut lemon lime raspberry blueberry cherry peach apricot coconut coffee "
    "espresso matcha ginger cinnamon honey lavender rose yuzu passion fruit banana pecan "
    "almond praline toffee fudge brownie marshmallow peanut butter black sesame cardamom "
    "saffron blackberry fig plum melon watermelon rhubarb custard tiramisu stracciatella"
).split()
KINDS = ["ice cream", "sorbet", "gelato", "frozen yogurt", "milkshake", "sundae", "popsicle"]
FILLERS = ["with a swirl of", "topped with", "and a hint of", "served with", "made with", "plus"]
DESCRIPTIONS = [
    "Creamy and rich",
    "A summer favourite",
    "Sweet and salty",
    "Fresh and light",
    "Crunchy bits inside",
    "For chocolate lovers",
    "Tangy and refreshing",
    "Like grandma used to make",
    "Vegan friendly",
    "Perfect after dinner",
]


def make_idea(rng: random.Random) -> str:
    first, second = rng.sample(FLAVOURS, 2)
    title = f"{first.capitalize()} {rng.choice(KINDS)} {rng.choice(FILLERS)} {second}"
    return f"{title} {rng.choice(DESCRIPTIONS)}"


def near_duplicate(rng: random.Random, idea: str) -> str:
    words = idea.split()
    change = rng.randrange(5)
    if change == 0:
        rng.shuffle(words)
    elif change == 1:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif change == 2:
        words = [w + "s" if w.isalpha() and not w.endswith("s") else w for w in words]
    elif change == 3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["really", "super", "new"]))
    else:
        return idea.upper().replace("E", "É")
    return " ".join(words)


def clear_caches() -> None:
    for name in ("_words", "_prepared"):
        cached = getattr(bot_text, name, None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def timed(run: Callable[[], object], repeat: int, *, cold: bool) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        if cold:
            clear_caches()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(20240501)
    ideas = [make_idea(rng) for _ in range(args.candidates)]
    candidates = list(enumerate(ideas, start=1))
    queries = [
        near_duplicate(rng, rng.choice(ideas)) if i % 3 == 0 else make_idea(rng)
        for i in range(args.queries)
    ]

    def hints_cold() -> list[list[int]]:
        found = []
        for query in queries:
            clear_caches()
            found.append(similar_items(query, candidates, 0.5, 3))
        return found

    def hints_warm() -> list[list[int]]:
        return [similar_items(query, candidates, 0.5, 3) for query in queries]

    kept = Candidates(candidates)

    def hints_kept() -> list[list[int]]:
        return [similar_items(query, kept, 0.5, 3) for query in queries]

    def pairwise() -> float:
        return sum(similarity(q, c) for q in queries for c in ideas)

    cold_s, cold_hints = timed(hints_cold, args.repeat, cold=True)
    hints_warm()  # fill the caches
    warm_s, warm_hints = timed(hints_warm, args.repeat, cold=False)
    kept_s, kept_hints = timed(hints_kept, args.repeat, cold=False)
    assert cold_hints == warm_hints == kept_hints
    pair_s, _ = timed(pairwise, 1, cold=False)
    found = warm_hints if isinstance(warm_hints, list) else []
    figures = {
        "candidates": args.candidates,
        "queries": args.queries,
        "similar_items_cold_s": round(cold_s, 4),
        "similar_items_cold_ms_per_query": round(1000 * cold_s / args.queries, 3),
        "similar_items_warm_s": round(warm_s, 4),
        "similar_items_warm_ms_per_query": round(1000 * warm_s / args.queries, 3),
        "similar_items_kept_s": round(kept_s, 4),
        "similar_items_kept_ms_per_query": round(1000 * kept_s / args.queries, 3),
        "similarity_pairs": args.queries * args.candidates,
        "similarity_pairs_s": round(pair_s, 4),
        "queries_with_hints": sum(1 for h in found if h),
        "hints": sum(len(h) for h in found),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
