"""inkstream: newspaper e-paper pages -> articles -> enrichment -> Kafka -> Elasticsearch."""

from pathlib import Path

__version__ = "0.1.0"

#: The checkout this package runs from (sample issues, paper configs and schemas live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
