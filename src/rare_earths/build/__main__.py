import sys

from rare_earths.build import main

sys.exit(main())
