"""``python -m refprep`` runs the CLI."""

from .cli import main

main()
