"""``python -m harness …``: the ``vneid-harness`` command (:mod:`harness.cli`)."""

from harness.cli import main

main()
