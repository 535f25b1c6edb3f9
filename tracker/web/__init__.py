"""The editor's desk: the web page and the JSON API (FastAPI), on the same database."""
