"""Settings: the only reader of the environment (prefix ``INKSTREAM_``, nested with ``__``).

Build one ``Settings()`` at the edge (CLI command, DAG task) and pass it down.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ConfigError
from pipeline.resources import data_dir as shipped
from pipeline.sources.siteconfig import SiteAccess, SiteConfig


class KafkaSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bootstrap_servers: list[str] = ["127.0.0.1:9092"]
    articles_topic: str = "inkstream.articles"
    issues_topic: str = "inkstream.issues"
    deadletter_topic: str = "inkstream.deadletter"
    partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    compression_type: Literal["gzip", "lz4", "snappy", "zstd"] | None = "lz4"
    #: the longest a publish waits for the broker (send, flush, acknowledgements) before failing
    #: as transient; requests and metadata waits are bounded by it too
    delivery_timeout_s: float = Field(default=20.0, gt=0)
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
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

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
            opts["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            if getattr(self, key):
                opts[key] = getattr(self, key)
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


class StagingStore(BaseModel):
    """Where an ``s3://`` staging URL lives (``INKSTREAM_STAGING_STORE__ENDPOINT`` etc.); unset
    fields fall back to the standard ``AWS_*`` environment of the worker."""

    model_config = ConfigDict(frozen=True)

    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    #: plain-HTTP endpoints (a local MinIO or test server); off in production
    allow_http: bool = False


class Settings(BaseSettings):
    """Everything configurable. ``INKSTREAM_KAFKA__BOOTSTRAP_SERVERS='["k1:9092"]'`` etc."""

    model_config = SettingsConfigDict(env_prefix="INKSTREAM_", env_nested_delimiter="__", frozen=True)

    #: local servers' data, staging, logs: ``.inkstream`` in the current directory unless set
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / ".inkstream")
    source_root: Path = Field(default_factory=lambda: shipped("samples") / "issues")
    papers_dir: Path = Field(default_factory=lambda: shipped("papers"))
    default_paper: str = "grrb"
    kafka: KafkaSettings = KafkaSettings()
    es: ElasticsearchSettings = ElasticsearchSettings()
    limits: Limits = Limits()
    #: the e-paper site of a paper with ``source = "http"`` (INKSTREAM_SITE__BASE_URL, or the Airflow
    #: connection inkstream_site): wins over the base URL in the paper's configuration
    site: SiteAccess = SiteAccess()
    enrichment_backend: Literal["crf", "jieba", "lac"] = "crf"
    #: Airflow: how long after a day's run is due its issue may still arrive; past it a missing
    #: issue is skipped (``INKSTREAM_ISSUE_WAIT_S``; the DAG's sensor timeout too)
    issue_wait_s: float = Field(default=3600.0, gt=0)
    #: Airflow: task retries (``INKSTREAM_AIRFLOW_RETRIES``), the first retry's delay (doubling up
    #: to 10 minutes), how often the sensor asks for the issue, and the connections' ids
    airflow_retries: int = Field(default=3, ge=0)
    airflow_retry_delay_s: float = Field(default=30.0, gt=0)
    airflow_poke_interval_s: float = Field(default=300.0, gt=0)
    airflow_kafka_conn_id: str = "inkstream_kafka"
    airflow_es_conn_id: str = "inkstream_elasticsearch"
    airflow_site_conn_id: str = "inkstream_site"
    airflow_staging_conn_id: str = "inkstream_staging"
    #: the DAG's wait for an issue defers to the triggerer between asks (``False``: a sensor in
    #: reschedule mode, for a deployment without a triggerer)
    airflow_deferrable: bool = True
    #: the staging area the page tasks hand their results to the publish task through: a folder
    #: (default ``<data_dir>/staging``) or ``s3://bucket/prefix``, shared by every worker
    #: (``INKSTREAM_STAGING_URL``; docs/scaling.md)
    staging_url: str | None = None
    staging_store: StagingStore = StagingStore()

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


def with_connections(
    settings: Settings,
    kafka: Mapping[str, Any] | None = None,
    es: Mapping[str, Any] | None = None,
    site: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings overridden by connection records (Airflow's ``inkstream_kafka`` and
    ``inkstream_elasticsearch``; fields conn_type, host, port, login, password, schema, extra).

    Kafka: host ``k1:9092,k2:9092`` (or host + port); login/password are the SASL user
    (mechanism PLAIN unless ``extra.sasl_mechanism``); ``extra`` may set security_protocol,
    sasl_mechanism, ssl_cafile, ssl_certfile, ssl_keyfile.
    Elasticsearch: host + port, https when conn_type/schema/``extra.scheme`` says so; login/password
    are basic auth; ``extra`` may set api_key, ca_certs, verify_certs.
    Site (``inkstream_site``): host (a whole URL, or a host name with port and schema http/https)
    is the e-paper site's base URL; login/password are HTTP basic auth.
    """
    update: dict[str, Any] = {}
    if kafka:
        extra = _extra(kafka)
        k: dict[str, Any] = {}
        if kafka.get("host"):
            hosts = [h.strip() for h in str(kafka["host"]).split(",") if h.strip()]
            k["bootstrap_servers"] = [h if ":" in h or not kafka.get("port") else f"{h}:{kafka['port']}" for h in hosts]
        if kafka.get("login"):
            k["sasl_username"] = kafka["login"]
            k["sasl_password"] = SecretStr(str(kafka.get("password") or ""))
            k["sasl_mechanism"] = extra.get("sasl_mechanism", "PLAIN")
            k["security_protocol"] = extra.get(
                "security_protocol", "SASL_SSL" if extra.get("ssl_cafile") else "SASL_PLAINTEXT"
            )
        for key in ("security_protocol", "sasl_mechanism", "ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            if key in extra:
                k[key] = extra[key]
        update["kafka"] = KafkaSettings.model_validate({**settings.kafka.model_dump(), **k})
    if es:
        extra = _extra(es)
        e: dict[str, Any] = {}
        if es.get("host"):
            host = str(es["host"])
            if "://" not in host:
                secure = "https" in (es.get("conn_type"), es.get("schema"), extra.get("scheme"))
                host = f"{'https' if secure else 'http'}://{host}:{es.get('port') or 9200}"
            e["url"] = host
        if es.get("login"):
            e["username"], e["password"] = es["login"], SecretStr(str(es.get("password") or ""))
        if extra.get("api_key"):
            e["api_key"] = SecretStr(str(extra["api_key"]))
        for key in ("ca_certs", "verify_certs"):
            if key in extra:
                e[key] = extra[key]
        update["es"] = ElasticsearchSettings.model_validate({**settings.es.model_dump(), **e})
    if site:
        s: dict[str, Any] = {}
        if site.get("host"):
            host = str(site["host"])
            if "://" not in host:
                scheme = "https" if "https" in (site.get("conn_type"), site.get("schema")) else "http"
                host = f"{scheme}://{host}" + (f":{site['port']}" if site.get("port") else "")
            s["base_url"] = host
        if site.get("login"):
            s["username"], s["password"] = site["login"], SecretStr(str(site.get("password") or ""))
        update["site"] = SiteAccess.model_validate({**settings.site.model_dump(), **s})
    return settings.model_copy(update=update)


def _extra(conn: Mapping[str, Any]) -> dict[str, Any]:
    extra = conn.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    return dict(extra)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PublicationCalendar(BaseModel):
    """The days a paper publishes: ``[calendar]`` in ``papers/<id>.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: days of the week with an issue
    weekdays: tuple[Weekday, ...] = WEEKDAYS
    #: dates without an issue although their weekday has one (holidays, breaks)
    no_issue: tuple[date, ...] = ()
    #: dates with an issue although their weekday has none (special editions)
    extra_issue: tuple[date, ...] = ()

    def publishes_on(self, day: date) -> bool:
        if day in self.extra_issue:
            return True
        return day not in self.no_issue and WEEKDAYS[day.weekday()] in self.weekdays


class PaperConfig(BaseModel):
    """A newspaper is configuration: ``papers/<id>.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str
    timezone: str = "Asia/Shanghai"
    pages: int = Field(default=4, ge=1, description="pages expected in a normal issue")
    start_date: date
    schedule: str = "0 7 * * *"
    source: Literal["directory", "http"] = "directory"
    #: the e-paper website, when ``source = "http"`` (pipeline/sources/siteconfig.py, docs/sources.md)
    site: SiteConfig | None = None
    banners: tuple[str, ...] = ()
    calendar: PublicationCalendar = PublicationCalendar()


def load_paper(settings: Settings, paper_id: str | None = None) -> PaperConfig:
    paper_id = paper_id or settings.default_paper
    path = settings.papers_dir / f"{paper_id}.toml"
    if not path.is_file():
        raise ConfigError(f"no paper config {path}")
    with path.open("rb") as fh:
        return PaperConfig.model_validate(tomllib.load(fh))


def list_papers(settings: Settings) -> list[PaperConfig]:
    return [load_paper(settings, p.stem) for p in sorted(settings.papers_dir.glob("*.toml"))]
