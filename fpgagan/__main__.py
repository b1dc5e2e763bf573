import os
import sys

# ``python -m`` puts the working folder first on sys.path, where a planted numpy.py or yaml.py
# would be imported instead of the real package; fpgagan itself is already imported by now.
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.realpath(os.curdir):
    del sys.path[0]

from fpgagan.cli import main  # noqa: E402

raise SystemExit(main())
