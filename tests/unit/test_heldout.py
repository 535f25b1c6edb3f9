"""How the rules hold on sentences nobody fitted them to (tables/heldout.yaml): scored as a set,
with a floor that only rises. The rows are not tuned against; a failure here means the rules
got worse on unseen text."""

from __future__ import annotations

from pathlib import Path

import yaml

from tracker.config.loader import load_config
from tracker.domain.evaluation import fact_key
from tracker.domain.extraction.document import Document
from tracker.domain.extraction.extractor import RuleExtractor

ROOT = Path(__file__).resolve().parents[2]
ROWS = yaml.safe_load((Path(__file__).parent / "tables" / "heldout.yaml").read_text())
# Measured: 0.42 / 0.67 when the set was written, 0.62 / 0.75 after general fixes for the
# failure kinds a review found (if- and whether-clauses, predictions, untracked speakers,
# suspending verbs), 0.76 / 0.95 with chains of stance verbs and the structural fact rules.
# Raise, never lower; a fresh set from someone else would be blind again.
POSITIONS_F1_FLOOR = 0.75
FACTS_F1_FLOOR = 0.94


def _f1(found: int, expected: int, correct: int) -> float:
    precision = correct / found if found else 1.0
    recall = correct / expected if expected else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score() -> dict[str, float]:
    """Return positions and facts F1 over the whole held-out set."""
    extractor = RuleExtractor(load_config(ROOT / "config").vocabularies["ukraine-ceasefire"])
    counts = {"positions": [0, 0, 0], "facts": [0, 0, 0]}
    for row in ROWS:
        got = extractor.extract(Document(id="h", text=row["text"], speaker=row.get("speaker", "")))
        pairs = {
            "positions": ({p.key for p in got.positions}, {tuple(p) for p in row["positions"]}),
            "facts": (
                {fact_key(f.key, f.value) for f in got.facts},
                {fact_key(k, v) for k, v in row.get("facts", [])},
            ),
        }
        for kind, (found, expected) in pairs.items():
            counts[kind][0] += len(found)
            counts[kind][1] += len(expected)
            counts[kind][2] += len(found & expected)
    return {kind: _f1(*c) for kind, c in counts.items()}


def test_the_rules_hold_on_held_out_sentences():
    """Positions and facts F1 on the held-out set stay at or above their floors."""
    scores = score()
    assert scores["positions"] >= POSITIONS_F1_FLOOR, scores
    assert scores["facts"] >= FACTS_F1_FLOOR, scores


if __name__ == "__main__":
    print(score())
