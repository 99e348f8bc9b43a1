"""Where the model's values live right now: the one owner of that answer.

Between loops the `Variable` objects hold the values. While `fit`, `evaluate` or `predict`
runs, the compiled engine's state pytree holds the newest ones, and each step donates it to
the next. Everything else asks this module: a reader calls `variables_current()` before reading
variables, a writer calls `variables_written()` after writing them, and the step loop calls
`step_done(new_state)` after each compiled call (inside `critical`, so that an interrupt can
never land between a donating call and the assignment of its result).
"""

import contextlib
import signal
import threading
from typing import NamedTuple

import jax.numpy as jnp

from jeras.backend import distribution_state


class TrainingState(NamedTuple):
    """The engine's state pytree: lists of arrays aligned with the engine's variable groups."""

    trainable: list
    non_trainable: list
    optimizer: list
    metrics: list


class StateSync:
    """Tracks whether the variables or the engine's state hold the model's newest values, and
    moves values between them only when a reader or writer needs it."""

    def __init__(self):
        self.spec = None  # the StepSpec whose variables `state` is aligned with
        self.state = None
        self.loop = None  # "fit", "evaluate" or "predict" while one runs
        self._engine_newer = False  # the state holds values the variables do not
        self._variables_maybe_written = False  # a reader was handed the variables mid-loop
        self._critical = _CriticalSection()

    # -- the loop ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self, loop, spec):
        """The body of a `fit`, `evaluate` or `predict`: the engine's state holds the values
        until the loop ends, then the variables get them back, Ctrl-C and errors included.
        A loop inside a running one (validation inside `fit`) shares it."""
        if self.loop is not None:
            yield
            return
        self.use(spec)
        self.pull()
        self.loop = loop
        try:
            with self._critical.installed():
                yield
        finally:
            self.loop = None
            self.push()

    def use(self, spec):
        """Align the state with `spec`'s variables (a new engine after `compile` or a new
        optimizer variable): values still only in the old state go to the variables first."""
        if spec is self.spec:
            return
        self.push()
        self.spec, self.state = spec, None

    @property
    def critical(self):
        """`with sync.critical:` around a compiled call and `step_done`: Ctrl-C waits until
        both are done, and other threads' calls wait their turn."""
        return self._critical

    def step_done(self, state):
        self.state = state
        self._engine_newer = True

    def before_step(self):
        """Called by the step loop before each compiled call: values a callback may have
        written into the variables since it was handed them go into the state."""
        if self._variables_maybe_written:
            self.pull()

    # -- readers and writers -------------------------------------------------------------------
    def variables_current(self):
        """Make the variables hold the newest values (a callback or `save` reads them)."""
        if self._engine_newer:
            self.push()
        if self.loop is not None:
            # The reader may write too; the next step takes the variables' values.
            self._variables_maybe_written = True

    def variables_written(self):
        """Values were written into the variables (weights restored, EMA swapped): a running
        loop continues from them."""
        if self.loop is not None and self.spec is not None:
            self.pull()

    @property
    def loop_running(self):
        return self.loop is not None

    # -- moving values -------------------------------------------------------------------------
    def pull(self):
        """Variables -> state. Metric values stay the engine's own once it has run: only the
        engine writes them during a loop."""
        spec = self.spec
        if spec is None:
            return
        seen = set()

        def value(variable):
            array = variable._value
            # Donation fails on a buffer passed twice (e.g. `a.assign(b.value)` shares it).
            if id(array) in seen:
                array = jnp.copy(array)
            seen.add(id(array))
            return array

        groups = spec.variable_groups
        metrics = (
            self.state.metrics if self.state is not None else [value(v) for v in groups.metrics]
        )
        state = TrainingState(
            [value(v) for v in groups.trainable],
            [value(v) for v in groups.non_trainable],
            [value(v) for v in groups.optimizer],
            metrics,
        )
        if distribution_state.current_distribution() is not None:
            # Each value laid out as the distribution says before the first compiled call,
            # which then keeps every layout (see `engine.keep_layout`).
            state = TrainingState(
                *(
                    [
                        distribution_state.place(value, distribution_state.variable_sharding(v))
                        for v, value in zip(variables, values)
                    ]
                    for variables, values in zip(groups, state)
                )
            )
        self.state = state
        self._engine_newer = False
        self._variables_maybe_written = False

    def push(self):
        """State -> variables."""
        if not self._engine_newer or self.state is None or self.spec is None:
            self._engine_newer = False
            return
        for variables, values in zip(self.spec.variable_groups, self.state):
            for variable, value in zip(variables, values):
                variable._value = value
        self._engine_newer = False

    def set_metrics(self, values):
        """Replace the metric accumulators of the state (a reset, or a resumed backup)."""
        state = self.state
        self.state = TrainingState(
            state.trainable, state.non_trainable, state.optimizer, list(values)
        )


class _CriticalSection:
    """Around a compiled call and the assignment of its result: one thread at a time (a
    `predict` in another thread never reads state a training step is donating), and, in the
    main thread, Ctrl-C (SIGINT) held back until the section ends; outside sections it
    interrupts at once, as usual."""

    def __init__(self):
        self._lock = threading.RLock()
        self._main_depth = 0
        self._pending = False
        self._active = False

    @contextlib.contextmanager
    def installed(self):
        """SIGINT deferral for the duration of a loop run from the main thread."""
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        ):
            # Another thread, or the user's own handler: leave SIGINT alone.
            yield
            return
        previous = signal.signal(signal.SIGINT, self._handle)
        self._active = True
        try:
            yield
        finally:
            self._active = False
            signal.signal(signal.SIGINT, previous)

    def _handle(self, signum, frame):
        if self._main_depth:
            self._pending = True
            return
        signal.default_int_handler(signum, frame)

    # A plain context manager, not a generator: it runs around every compiled call.
    def __enter__(self):
        self._lock.acquire()
        if self._active and threading.get_ident() == _MAIN_THREAD_ID:
            self._main_depth += 1

    def __exit__(self, exc_type, exc, traceback):
        raise_now = False
        if self._active and threading.get_ident() == _MAIN_THREAD_ID:
            self._main_depth -= 1
            if not self._main_depth and self._pending:
                self._pending = False
                raise_now = exc_type is None
        self._lock.release()
        if raise_now:
            raise KeyboardInterrupt
        return False


_MAIN_THREAD_ID = threading.main_thread().ident
