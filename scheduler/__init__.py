"""The timer: wakes the core's agenda when something falls due."""

from scheduler.timer import Timer

__all__ = ["Timer"]
