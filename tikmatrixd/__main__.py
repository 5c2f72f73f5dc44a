import sys

from tikmatrixd.cli import main

sys.exit(main())
