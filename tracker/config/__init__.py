"""Configuration files (sources, topics, alerts): loaded, validated, errors located."""
