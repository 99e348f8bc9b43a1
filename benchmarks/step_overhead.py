"""Host time per training step on a model too small to cost anything on the device: what the
engine's per-step path itself costs, next to a hand-written JAX loop (one jitted call per step
with the state donated) and Keras 3.

    python benchmarks/step_overhead.py [--steps 2000]

Prints microseconds per step for: jeras fused (no per-batch callback), jeras with a callback
reading only logs (delivered after fused chunks), jeras with a callback that needs the live
model (one compiled call per step), and Keras with the same callbacks. Target for the one-call-
per-step path: under 100 us of host time per step on a CPU.
"""

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402


def _callbacks(lib):
    class LogsOnly(lib.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.last = logs["loss"]

    class LiveModel(lib.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = False

    return {"silent": [], "logs-only callback": [LogsOnly()], "live-model callback": [LiveModel()]}


def _time_fit(lib, x, y, callbacks):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(1)])
    model.compile(lib.optimizers.SGD(0.01), "mse")
    # The same fit once first: every compiled shape of the timed one exists.
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=callbacks, shuffle=False)
    start = time.perf_counter()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=callbacks, shuffle=False)
    return (time.perf_counter() - start) / (len(x) // 8) * 1e6


def _time_hand_written(x, y):
    import jax
    import jax.numpy as jnp

    def step(state, xb, yb):
        w, b = state

        def loss(params):
            pw, pb = params
            return jnp.mean((xb @ pw + pb - yb) ** 2)

        gw, gb = jax.grad(loss)((w, b))
        return (w - 0.01 * gw, b - 0.01 * gb)

    step = jax.jit(step, donate_argnums=(0,))
    xd, yd = jnp.asarray(x), jnp.asarray(y)
    batches = [(xd[i : i + 8], yd[i : i + 8]) for i in range(0, len(x), 8)]
    state = (jnp.zeros((4, 1)), jnp.zeros((1,)))
    state = step(state, *batches[0])
    start = time.perf_counter()
    for xb, yb in batches:
        state = step(state, xb, yb)
    jax.block_until_ready(state)
    return (time.perf_counter() - start) / len(batches) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.steps * 8, 4)).astype("float32")
    y = rng.normal(size=(args.steps * 8, 1)).astype("float32")

    import keras

    import jeras

    print(f"host time per step, {args.steps} steps of batch 8 (us/step)")
    print(f"{'case':<22}{'jeras':>10}{'Keras':>10}{'Keras/jeras':>13}")
    for name in ("silent", "logs-only callback", "live-model callback"):
        j = _time_fit(jeras, x, y, _callbacks(jeras)[name])
        k = _time_fit(keras, x, y, _callbacks(keras)[name])
        print(f"{name:<22}{j:>10.1f}{k:>10.1f}{k / j:>12.2f}x")
    print(f"{'hand-written JAX, one jitted call per step':<44}{_time_hand_written(x, y):>8.1f}")


if __name__ == "__main__":
    main()
