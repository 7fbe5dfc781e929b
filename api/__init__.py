"""articleqa's HTTP API: a versioned JSON service (search, ask, articles) built by `create_app`."""

from .app import create_app

__all__ = ["create_app"]
