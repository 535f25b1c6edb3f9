"""Rule-based claim extraction: positions (actor x issue -> stance) and key facts, from text.

Pure functions of a document and a topic's vocabulary; no I/O, no models to download.
"""
