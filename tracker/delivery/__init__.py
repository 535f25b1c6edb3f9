"""Delivery adapters: send a rendered alert to one channel (apprise)."""
