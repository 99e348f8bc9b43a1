"""Interactive logging: whether progress and messages go to stdout (the default) or to Python's
`logging` (for jobs whose output nobody watches live), as `keras.config.*_interactive_logging`.

This module imports nothing from jeras, so every level may read the switch.
"""

import logging
import sys

_INTERACTIVE = {"enabled": True}
_LOGGER = logging.getLogger("jeras")


def enable_interactive_logging():
    """Send messages and progress bars to stdout (the default)."""
    _INTERACTIVE["enabled"] = True


def disable_interactive_logging():
    """Send messages to the `jeras` logger of Python's `logging` instead of stdout."""
    _INTERACTIVE["enabled"] = False


def is_interactive_logging_enabled():
    """Whether messages go to stdout (True, the default) or to `logging` (False)."""
    return _INTERACTIVE["enabled"]


def print_msg(message, line_break=True):
    """Write `message` to stdout, or log it at INFO level when interactive logging is off."""
    message = str(message)
    if is_interactive_logging_enabled():
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        _LOGGER.info(message)
