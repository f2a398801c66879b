"""How alike two names are, from 0 to 1, across scripts, spellings and token order.

Tokens are paired greedily, best pair first; a pair scores the better of Jaro-Winkler on the Latin
tokens and on their phonetic skeletons (the skeleton only counts when it is long enough to mean
something). The name scores the mean of its pairs, scaled down for tokens left without a partner, so a
missing middle name costs a little and a different surname costs a lot.
"""

from dataclasses import dataclass

from rapidfuzz.distance import JaroWinkler

from app.services.matching.normalize import name_tokens, skeleton

MATCH_THRESHOLD = 0.90
_MIN_SKELETON = 3
_UNPAIRED_FACTOR = 0.93


def _strip_article(token: str) -> str:
    # "ALRASHID" and "ALSAUD" share an article, not a name: Jaro-Winkler would reward the common prefix.
    return token[2:] if token[:2] in ("AL", "EL", "UL") and len(token) > 4 else token


@dataclass(frozen=True)
class PreparedName:
    """A name tokenised once, for scoring against many others."""

    tokens: tuple[tuple[str, str], ...]  # (token without article, its skeleton)

    @classmethod
    def of(cls, name: str) -> "PreparedName":
        stripped = [_strip_article(token) for token in name_tokens(name)]
        return cls(tuple((token, skeleton(token)) for token in stripped))


def _token_similarity(a: tuple[str, str], b: tuple[str, str]) -> float:
    (spelling_a, skeleton_a), (spelling_b, skeleton_b) = a, b
    score = JaroWinkler.similarity(spelling_a, spelling_b)
    shortest = min(len(skeleton_a), len(skeleton_b))
    # A skeleton counts when it is long enough to mean something: one letter ("N") says nothing.
    if shortest >= _MIN_SKELETON or (shortest >= 2 and skeleton_a == skeleton_b):
        score = max(score, JaroWinkler.similarity(skeleton_a, skeleton_b))
    return score


def prepared_similarity(first: PreparedName, second: PreparedName) -> float:
    tokens_a, tokens_b = first.tokens, second.tokens
    if not tokens_a or not tokens_b:
        return 0.0
    pairs = sorted(
        ((_token_similarity(a, b), i, j) for i, a in enumerate(tokens_a) for j, b in enumerate(tokens_b)),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    scores: list[float] = []
    for score, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        scores.append(score)
    weakest = min(scores)
    mean = sum(scores) / len(scores)
    unpaired = max(len(tokens_a), len(tokens_b)) - len(scores)
    # A weak pair (a different surname) sinks the name; an unpaired extra token (a middle name one
    # side lacks) dents it.
    return min(mean, weakest + 0.1) * (_UNPAIRED_FACTOR**unpaired)


def name_similarity(first: str, second: str) -> float:
    return prepared_similarity(PreparedName.of(first), PreparedName.of(second))


def names_match(first: str, second: str) -> bool:
    return name_similarity(first, second) >= MATCH_THRESHOLD
