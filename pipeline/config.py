"""Settings: the only reader of the environment (prefix ``INKSTREAM_``, nested with ``__``).

Build one ``Settings()`` at the edge (CLI command, DAG task) and pass it down.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline import PROJECT_ROOT
from pipeline.errors import ConfigError


class KafkaSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bootstrap_servers: list[str] = ["127.0.0.1:9092"]
    articles_topic: str = "inkstream.articles"
    issues_topic: str = "inkstream.issues"
    deadletter_topic: str = "inkstream.deadletter"
    partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    compression_type: Literal["gzip", "lz4", "snappy", "zstd"] | None = "lz4"
    delivery_timeout_s: float = 60.0
    request_timeout_ms: int = 30_000
    retries: int = 5
    linger_ms: int = 20
    client_id: str = "inkstream"
    consumer_group: str = "inkstream-indexer"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None

    def client_options(self) -> dict[str, Any]:
        """Options shared by producer, consumer and admin client (secrets unwrapped here only)."""
        opts: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
        }
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            opts["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.ssl_cafile:
            opts["ssl_cafile"] = self.ssl_cafile
        return opts


class ElasticsearchSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = "http://127.0.0.1:9200"
    alias: str = "inkstream-articles"
    template_version: int = 1
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout_s: float = 30.0
    bulk_chunk_size: int = 500
    bulk_max_retries: int = 5

    @property
    def index_name(self) -> str:
        return f"{self.alias}-v{self.template_version}"


class Limits(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_page_bytes: int = 8 * 1024 * 1024
    max_articles_per_page: int = 200
    #: a dead letter carries at most this much of a failed page (Kafka's default message limit is 1 MiB)
    max_deadletter_original_bytes: int = 512 * 1024


class Settings(BaseSettings):
    """Everything configurable. ``INKSTREAM_KAFKA__BOOTSTRAP_SERVERS='["k1:9092"]'`` etc."""

    model_config = SettingsConfigDict(env_prefix="INKSTREAM_", env_nested_delimiter="__", frozen=True)

    data_dir: Path = PROJECT_ROOT / ".inkstream"
    source_root: Path = PROJECT_ROOT / "samples" / "issues"
    papers_dir: Path = PROJECT_ROOT / "papers"
    default_paper: str = "grrb"
    kafka: KafkaSettings = KafkaSettings()
    es: ElasticsearchSettings = ElasticsearchSettings()
    limits: Limits = Limits()
    enrichment_backend: Literal["jieba", "lac"] = "jieba"

    @field_validator("data_dir", "source_root", "papers_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    def masked(self) -> dict[str, Any]:
        """A loggable view: SecretStr fields print as '**********'."""
        return self.model_dump(mode="json")


class PaperConfig(BaseModel):
    """A newspaper is configuration: ``papers/<id>.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str
    timezone: str = "Asia/Shanghai"
    pages: int = Field(default=4, ge=1, description="pages expected in a normal issue")
    start_date: date
    schedule: str = "0 7 * * *"
    source: Literal["directory"] = "directory"
    banners: tuple[str, ...] = ()


def load_paper(settings: Settings, paper_id: str | None = None) -> PaperConfig:
    paper_id = paper_id or settings.default_paper
    path = settings.papers_dir / f"{paper_id}.toml"
    if not path.is_file():
        raise ConfigError(f"no paper config {path}")
    with path.open("rb") as fh:
        return PaperConfig.model_validate(tomllib.load(fh))


def list_papers(settings: Settings) -> list[PaperConfig]:
    return [load_paper(settings, p.stem) for p in sorted(settings.papers_dir.glob("*.toml"))]
