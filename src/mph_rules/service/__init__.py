"""The decision service (extra ``service``): HTTP API, event store, chained decision log.

``create_app(config)`` builds the ASGI application; ``mph-rules serve`` runs it on uvicorn.
See docs/service.md.
"""

from __future__ import annotations

from mph_rules.service.app import create_app
from mph_rules.service.config import ServiceConfig, default_config, load_config
from mph_rules.service.store import Store

__all__ = ["ServiceConfig", "Store", "create_app", "default_config", "load_config"]
