"""Claims extracted per second per core, on the corpus (target: >= 200 documents/s per core).

python bench/extraction.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.config.loader import load_config  # noqa: E402
from tracker.domain.extraction.document import parse_document  # noqa: E402
from tracker.domain.extraction.extractor import RuleExtractor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    corpus = ROOT / "tests" / "corpus"
    paths = [*sorted((corpus / "docs").glob("*.txt")), corpus / "seed-article.txt"]
    documents = [parse_document(p.read_text(), p.name) for p in paths]
    chars = sum(len(d.text) for d in documents)
    extractor = RuleExtractor(load_config(ROOT / "config").vocabularies["ukraine-ceasefire"])
    # one pass first, as a worker has made before its thousandth statement: the vocabulary's
    # patterns compiled, the lemma dictionary loaded (both lazily, on first use)
    for document in documents:
        extractor.extract(document)
    done, claims = 0, 0
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall_start < args.seconds:
        for document in documents:
            extraction = extractor.extract(document)
            claims += len(extraction.positions) + len(extraction.facts)
        done += len(documents)
    cpu = time.process_time() - cpu_start
    print(
        f"extraction over the corpus ({len(documents)} documents, {chars / len(documents):,.0f} chars each on average)"
    )
    print(
        f"  {done} documents in {cpu:.2f} CPU s = {done / cpu:,.0f} documents/s per core "
        f"({claims / cpu:,.0f} claims/s; {cpu / done * 1000:.2f} ms per document)"
    )
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("  target: >= 200 documents/s per core")


if __name__ == "__main__":
    main()
