"""``python -m nn_ref VERB ...`` is ``nn-ref VERB ...``."""

import sys

from nn_ref.cli import main

sys.exit(main())
