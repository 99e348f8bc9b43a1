"""Text progress bar used by `fit`, `evaluate` and `predict`.

The printed text matches Keras 3's `keras.utils.Progbar` character for
character on terminals.  One deliberate difference: when stdout is neither a
terminal nor a Jupyter kernel (a file, a pipe), or the process runs in CI
(the `CI` environment variable is set), `verbose=1` prints a single clean line
per bar instead of a stream of redraws full of control characters.
"""

import math
import os
import sys
import time

import numpy as np

from jeras.utils.io_utils import is_interactive_logging_enabled, print_msg

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"
_BAR_CHAR = "\u2501"  # "━", box drawings heavy horizontal

# How a `verbose=1` bar reaches the reader.
_TERMINAL = "terminal"  # backspaces + carriage return, redrawn in place
_NOTEBOOK = "notebook"  # carriage return only; the kernel front end redraws
_PLAIN = "plain"  # final line only, no control characters


def _stdout_is_tty():
    stream = sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        # No stdout at all (pythonw) or a closed one: nothing to redraw on.
        return False


def _display_mode():
    # Keras also treats every POSIX process as interactive (it tests for the
    # "posix" module, which is always imported there), which floods redirected
    # logs with redraws; jeras only redraws where someone can see it.
    if not is_interactive_logging_enabled():
        return _PLAIN  # lines go to `logging`, where a redraw would stay
    if "ipykernel" in sys.modules:
        return _NOTEBOOK
    if _in_ci():
        # CI runners may give a job a pseudo-terminal, but their logs are
        # files read later, where every redraw would stay.
        return _PLAIN
    if _stdout_is_tty() or "PYCHARM_HOSTED" in os.environ:
        return _TERMINAL
    return _PLAIN


def _in_ci():
    # The variable CI services set (GitHub Actions, GitLab, CircleCI,
    # Travis, Buildkite, ...).
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _write(message):
    if not is_interactive_logging_enabled():
        # `keras.config.disable_interactive_logging()`: each line to the `jeras` logger.
        for line in message.strip("\n").split("\n"):
            print_msg(line)
        return
    stream = sys.stdout
    try:
        stream.write(message)
    except UnicodeEncodeError:
        # A stream that cannot encode the bar glyph (e.g. an ASCII or cp1252
        # console) gets the Keras 2 style bar; anything else it cannot encode
        # is dropped rather than aborting training over a log line.
        message = message.replace(_BAR_CHAR, "=")
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(message.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()


def _average(total, count):
    # Arrays (and ints) are reduced with numpy so the result has the same
    # dtype, hence the same rounding when formatted, as in Keras.
    if not isinstance(total, float):
        total = np.mean(total)
    return total / max(1, count)


def _format_step_time(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta):
    # `%d` truncates toward zero, which is what Keras shows.
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


def _count_text(current, target):
    # Keras sizes the field from log10 rather than len(str(target)); keep
    # that so column widths agree even where the two could differ.
    digits = int(math.log10(target)) + 1
    return f"%{digits}d/%d" % (current, target)


class Progbar:
    """A progress bar printed to `sys.stdout`.

    Args:
        target: Total number of steps, or `None` when unknown.
        width: Number of bar characters.
        verbose: 0 prints nothing, 1 draws a bar, 2 prints one summary line
            when the bar completes.
        interval: Minimum number of seconds between two redraws; the final
            update is always drawn.
        stateful_metrics: Names whose values are displayed as given.  Other
            names are averaged over the steps seen so far.
        stateless_metrics: Alternatively, the names that are averaged; every
            other name is displayed as given.  At most one of the two may be
            passed.
        unit_name: What a step is called in the time-per-step field.
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Pass at most one of `stateful_metrics` and "
                "`stateless_metrics`: each names the exceptions to the other's "
                "default."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None

        self._display = _display_mode()
        self._seen_so_far = 0
        # name -> [sum of value * steps, steps]; stateful names keep [value, 1]
        self._values = {}
        self._values_order = []
        self._start = time.time()
        # Zero rather than the start time so the very first update is drawn.
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step `current`.

        Args:
            current: Index of the step just completed.
            values: List of `(name, value)` pairs for this step.
            finalize: Whether this is the bar's last update; by default,
                whether `current` has reached `target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if self._is_averaged(name) and not finalize:
                # Weight by the steps covered since the last call, but by at
                # least one: an epoch-end call repeats the last step index.
                steps = max(current - self._seen_so_far, 1)
                if name in self._values:
                    self._values[name][0] += value * steps
                    self._values[name][1] += steps
                else:
                    self._values[name] = [value * steps, steps]
            else:
                # A finalizing call carries epoch-level results, which replace
                # rather than join the running average.
                self._values[name] = [value, 1]
        self._seen_so_far = current

        now = time.time()
        # Called before any early return: it records when step 1 ended.
        time_per_unit = self._step_duration(current, now)

        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw(current, now, time_per_unit, finalize)
        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                _write(self._summary_line(current, now, time_per_unit))

        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _draw(self, current, now, time_per_unit, finalize):
        # (text, ANSI code or None) pieces, so the same content can be
        # rendered with colours or as plain text, and measured without codes.
        pieces = []
        known = self.target is not None and self.target > 0
        if known:
            pieces.append((_count_text(current, self.target), _BOLD))
            pieces.append((" ", None))
            filled = int(self.width * (float(current) / self.target))
            if filled > 0:
                pieces.append((_BAR_CHAR * filled, _GREEN))
            # Emitted even when empty, exactly like Keras, so a full bar
            # still carries the (empty) white segment's codes.
            pieces.append((_BAR_CHAR * (self.width - filled), _WHITE))
        else:
            pieces.append(("%7d/Unknown" % current, None))

        pieces.append((" ", None))
        if known and not finalize:
            eta = time_per_unit * (self.target - current)
            pieces.append((_format_eta(eta), _BOLD))
        else:
            pieces.append((f"{now - self._start:.0f}s", _BOLD))
        pieces.append((_format_step_time(time_per_unit, self.unit_name), None))

        for name in self._values_order:
            avg = _average(*self._values[name])
            shown = f"{avg:.4f}" if abs(avg) > 1e-3 else f"{avg:.4e}"
            pieces.append((f" - {name}: {shown}", None))

        plain = "".join(text for text, _ in pieces)
        total_width = len(plain)

        if self._display == _PLAIN:
            if finalize:
                _write(plain + "\n")
            self._prev_total_width = total_width
            return

        styled = "".join(f"{code}{text}{_RESET}" if code else text for text, code in pieces)
        if self._display == _TERMINAL:
            message = "\b" * self._prev_total_width + "\r"
        else:
            # Notebook front ends apply "\r" themselves; backspaces there only
            # risk showing up as stray glyphs.
            message = "\r"
        message += styled
        # Blank out the tail of a longer previous line.
        message += " " * max(self._prev_total_width - total_width, 0)
        if finalize:
            message += "\n"
        _write(message)
        self._prev_total_width = total_width

    def _summary_line(self, current, now, time_per_unit):
        line = f"{_count_text(current, self.target)} - {now - self._start:.0f}s"
        line += " -" + _format_step_time(time_per_unit, self.unit_name)
        for name in self._values_order:
            avg = _average(*self._values[name])
            # Keras tests the signed value here (not abs, as on the bar), so
            # negative values always come out in exponent notation.
            shown = f"{avg:.4f}" if avg > 1e-3 else f"{avg:.4e}"
            line += f" - {name}: {shown}"
        return line + "\n"

    def _step_duration(self, current, now):
        # Step 1 includes compilation and warm-up, so once it is known later
        # estimates measure from its end; before that, or when step 1 was
        # never reported, average over everything since the start.
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            duration = (now - self._time_after_first_step) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return duration
