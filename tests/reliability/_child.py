"""The process the reliability harness starts, kills and restarts (`test_kills.py`).

python _child.py backup DIR KILL_AT OUT   fit with BackupAndRestore(DIR); SIGKILL itself
                                          before its KILL_AT-th file-system write under DIR
                                          (0: never); weights to OUT when it finishes;
                                          prints the write count after each backup
python _child.py resume DIR...            resume each DIR to the end, weights to DIR.npz
python _child.py save PATH KILL_AT        save a model to PATH, then save other weights
                                          over it, killed before write KILL_AT of that save
python _child.py load PATH                load PATH, save to it again; prints its weights'
                                          sum
python _child.py sigint TRIALS            SIGINT at random moments of fit, TRIALS times;
                                          prints how many models were left broken
"""

import builtins
import os
import shutil
import signal
import sys
import threading

import numpy as np

import jeras

_writes = 0


def _kill_before_write(root, kill_at):
    """Count the writes under `root` (files opened for writing, renames, removals, new
    folders) and SIGKILL this process just before write number `kill_at`."""
    root = os.path.abspath(root)

    def under_root(path):
        return isinstance(path, (str, os.PathLike)) and os.path.abspath(path).startswith(root)

    def counted(original, is_write):
        def wrapper(*args, **kwargs):
            global _writes
            if args and under_root(args[0]) and is_write(*args, **kwargs):
                _writes += 1
                if _writes == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)

        return wrapper

    def opens_for_writing(path, mode="r", *args, **kwargs):
        return any(flag in mode for flag in "wax+")

    def os_open_for_writing(path, flags, *args, **kwargs):
        return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))

    always = lambda *args, **kwargs: True  # noqa: E731
    builtins.open = counted(builtins.open, opens_for_writing)
    os.open = counted(os.open, os_open_for_writing)
    for name in ("replace", "rename", "unlink", "remove", "rmdir", "mkdir"):
        setattr(os, name, counted(getattr(os, name), always))
    shutil.rmtree = counted(shutil.rmtree, always)


def _model():
    jeras.utils.set_random_seed(1)
    model = jeras.Sequential(
        [
            jeras.Input((4,)),
            jeras.layers.Dense(8, activation="relu"),
            jeras.layers.Dropout(0.2, seed=3),
            jeras.layers.Dense(1),
        ]
    )
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.compile(jeras.optimizers.Adam(0.01), "mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")


def _fit(model, backup_dir):
    np.random.seed(5)
    x, y = _data()
    callback = jeras.callbacks.BackupAndRestore(backup_dir, save_freq=3, delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=3, shuffle=True, verbose=0, callbacks=[callback])


def backup(directory, kill_at, out):
    model = _model()
    _kill_before_write(directory, int(kill_at))
    ends = []  # the write count after each backup
    original = jeras.callbacks.BackupAndRestore._save_model

    def save_model(self, *args, **kwargs):
        original(self, *args, **kwargs)
        ends.append(_writes)

    jeras.callbacks.BackupAndRestore._save_model = save_model
    _fit(model, directory)
    np.savez(out, *model.get_weights())
    print(*ends)


def resume(*directories):
    for directory in directories:
        model = _model()
        _fit(model, directory)
        np.savez(directory.rstrip("/") + ".npz", *model.get_weights())


def save(path, kill_at):
    model = _model()
    model.save(path)
    model.set_weights([w + 1.0 for w in model.get_weights()])
    _kill_before_write(os.path.dirname(os.path.abspath(path)), int(kill_at))
    model.save(path)
    print(_writes)


def load(path):
    model = jeras.models.load_model(path)
    model.save(path)
    print(float(sum(np.sum(w) for w in model.get_weights())))


def sigint(trials):
    x, y = _data()
    x, y = np.tile(x, (40, 1)), np.tile(y, (40, 1))
    model = _model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # compiled outside the trials
    rng = np.random.default_rng(0)
    broken = interrupted = 0
    for _ in range(int(trials)):
        # The fit runs far longer than the delay, so the signal lands inside it.
        timer = threading.Timer(rng.uniform(0.01, 0.2), os.kill, (os.getpid(), signal.SIGINT))
        try:
            timer.start()
            model.fit(x, y, batch_size=8, epochs=100, verbose=0)
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            timer.cancel()
            timer.join()
        try:
            weights = model.get_weights()
            ok = all(np.all(np.isfinite(w)) for w in weights)
            ok = ok and model.predict(x[:5], verbose=0).shape == (5, 1)
            ok = ok and np.isfinite(model.evaluate(x[:16], y[:16], verbose=0))
        except Exception as error:  # noqa: BLE001 - a broken model is the finding
            print("broken:", type(error).__name__, error, file=sys.stderr)
            ok = False
        broken += not ok
    print(interrupted, broken)


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
