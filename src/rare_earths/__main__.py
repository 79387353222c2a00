import sys

from rare_earths.cli import main

sys.exit(main())
