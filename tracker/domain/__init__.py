"""The pure core: statements, normalisation, relevance, change decisions, events and routing.

Nothing here performs I/O or imports a framework; every function takes its inputs (and `now`)
as arguments, so the whole core is tested from data tables.
"""
