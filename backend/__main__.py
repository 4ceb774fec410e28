"""``python -m backend`` runs the ``faregate`` command."""

from backend.cli import main

main()
