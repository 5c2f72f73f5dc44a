"""tikmatrixd.sim: simulated Android phones that the real adb server drives over TCP.

Layout: ``transport`` (ADB messages, streams), ``sync`` (push/pull), ``shell`` +
``commands`` (the phone's sh), ``apps/`` (TikTok and Instagram state machines),
``ui`` (view trees, uiautomator XML, hit-testing), ``state`` (observable data),
``device`` (one phone), ``farm`` (N phones), ``control`` (HTTP endpoint),
``testing`` (helpers for other test suites), ``cli`` (``tikmatrixd sim``).
See SCREENS.md for the screens and the nodes scripts select on.
"""

from tikmatrixd.sim.device import SimDevice
from tikmatrixd.sim.farm import Farm

__all__ = ["Farm", "SimDevice"]
