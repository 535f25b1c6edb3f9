"""An optional extractor that asks an OpenAI-compatible chat API (for newsrooms that run one)."""
