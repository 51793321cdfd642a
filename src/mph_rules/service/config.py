"""The service's configuration: which packs it serves, which callers may use them, limits.

An operator file (YAML), read once at start-up; nothing a caller sends ever names a file.
Tokens are stored as SHA-256 digests (``sha256:``), so the file itself grants nothing when
read; a plain ``token`` is accepted for local use.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mph_rules.errors import MphRulesError, Problem
from mph_rules.loading import bundled_names, read_limited
from mph_rules.yamlread import read_yaml

DEFAULT_DATABASE = "sqlite:///mph-rules.db"
TOKEN_ENV = "MPH_RULES_TOKEN"
_STRICT = ConfigDict(extra="forbid", frozen=True)


class ConfigError(MphRulesError):
    """The service configuration file is malformed."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenConfig(BaseModel):
    """One caller: a bearer token, the packs whose cases it may use, the roles it may act as."""

    model_config = _STRICT
    name: str = Field(min_length=1, description="who the caller is (appears in logs)")
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the token"
    )
    token: str | None = Field(default=None, min_length=16, description="the token (local use)")
    packs: tuple[str, ...] = Field(min_length=1, description="pack ids, or '*' for every pack")
    roles: tuple[str, ...] | None = Field(
        default=None, description="actor roles the caller may post events as (default: any)"
    )

    @model_validator(mode="after")
    def _one_secret(self) -> TokenConfig:
        if (self.sha256 is None) == (self.token is None):
            raise ValueError("give exactly one of sha256 (recommended) or token")
        return self

    @property
    def digest(self) -> str:
        return self.sha256 or token_digest(self.token or "")


class PackConfig(BaseModel):
    """A pack the service serves: a bundled name or a path chosen by the operator."""

    model_config = _STRICT
    name: str
    settings: dict[str, Any] = Field(default_factory=dict)


class ServiceConfig(BaseModel):
    model_config = _STRICT
    database: str = DEFAULT_DATABASE
    packs: tuple[PackConfig, ...] = Field(
        default_factory=lambda: tuple(PackConfig(name=n) for n in bundled_names())
    )
    tokens: tuple[TokenConfig, ...] = ()
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000)
    max_cached_cases: int = Field(default=10_000, ge=1)
    playground: bool = Field(default=False, description="mount the playground page if installed")
    log_key_file: str | None = Field(
        default=None,
        description="file holding the decision log's HMAC key (else $MPH_RULES_LOG_KEY_FILE "
        "or $MPH_RULES_LOG_KEY; none: an unkeyed chain)",
    )

    @model_validator(mode="before")
    @classmethod
    def _pack_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("packs"), list):
            data = dict(data)
            data["packs"] = [{"name": p} if isinstance(p, str) else p for p in data["packs"]]
        return data


def load_config(path: str | Path) -> ServiceConfig:
    """Read and validate a configuration file; ConfigError with file, line and column."""
    try:
        raw = read_limited(Path(path))
    except OSError as exc:
        problem = Problem(f"cannot read configuration: {exc.strerror}", str(path), code="MPH-Y001")
        raise ConfigError([problem]) from None
    doc, problems = read_yaml(raw, str(path))
    if problems:
        raise ConfigError(problems)
    try:
        return ServiceConfig.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        from mph_rules.loading import validation_problems

        raise ConfigError(validation_problems(exc, doc, ServiceConfig)) from None


def default_config(database: str | None = None) -> tuple[ServiceConfig, str | None]:
    """Every bundled pack and one token for all of them: ``$MPH_RULES_TOKEN`` or a random
    one, returned so that it can be shown once at start-up."""
    given = os.environ.get(TOKEN_ENV)
    token = given or secrets.token_urlsafe(24)
    config = ServiceConfig(
        database=database or DEFAULT_DATABASE,
        tokens=(TokenConfig(name="local", sha256=token_digest(token), packs=("*",)),),
    )
    return config, (None if given else token)
