"""`python -m articleqa` runs the CLI."""

from .cli import main

raise SystemExit(main())
