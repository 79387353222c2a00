from rare_earths.params.core import *  # noqa: F401,F403  (face filled in by the split)
from rare_earths.params.core import CHAPTERS, PARAMETERS, ParameterError  # noqa: F401
