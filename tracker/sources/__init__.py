"""Source adapters: fetch over HTTP within limits, and parse each kind of source into items."""
