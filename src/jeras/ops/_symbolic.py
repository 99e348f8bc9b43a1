"""`jeras.ops` functions on symbolic tensors: called with a `KerasTensor` anywhere in its
arguments (nested lists, tuples and dicts included), an op records a node of the functional graph
instead of computing, as every `keras.ops` function does in Keras.

`register_operations` (called once per ops module from `jeras/ops/__init__.py`) replaces each
public function of a module by a dispatcher: one cheap scan of the arguments for a `KerasTensor`,
then either the plain array function or the symbolic call. The symbolic call records the op as
the Keras operation class it stands for (`mean` -> `Mean` of `keras.src.ops.numpy`), splitting
the arguments as Keras does: the tensor arguments are the node's call arguments and the others
are the operation's config (saved in `.keras` files, shown nowhere else). The rule for that split
is Keras's parameter naming (`_CALL_PARAMETERS`), with the few exceptions listed below.

The node itself is an `OperationLayer` (level 4, `jeras.layers`), found through the public-name
registry (`layers.operations`) as the operators on `KerasTensor` find it; its output shapes come
from tracing the function abstractly, unknown dimensions included (`symbolic/symbolic_call.py`).
"""

import functools
import inspect

from jeras.backend.naming import to_snake_case
from jeras.saving.public_names import required_public_object
from jeras.symbolic.keras_tensor import KerasTensor

# The Keras module that holds the operation classes of each jeras ops family.
_KERAS_MODULES = {
    "numpy": "keras.src.ops.numpy",
    "nn": "keras.src.ops.nn",
    "image": "keras.src.ops.image",
    "linalg": "keras.src.ops.linalg",
    "math": "keras.src.ops.math",
    "core": "keras.src.ops.core",
    "einops": "keras.src.ops.einops",
}

# Parameter names Keras's operation classes take in `call` (the node's arguments, tensors or
# values alike); every other parameter of an op goes to the operation's constructor (its config).
# The last line holds the names of `jax.numpy`'s signatures, for ops still defined as its wrappers.
_CALL_PARAMETERS = frozenset(
    """
    x x1 x2 xs y a b inputs images image data elements elems array values value key query
    condition condlist choicelist default target targets output predictions mask bias kernel
    depthwise_kernel pointwise_kernel indices updates index segment_ids start_indices start stop
    step init init_val loop_vars operands kwargs pred true_fn false_fn branches f q scale
    coordinates transform translation start_points end_points constant_values output_shape
    rtol atol abs_ angle variable
    args arr ary arrays tup m v val A xi
    """.split()
)

# (family, function name) -> parameters that Keras splits against the naming rule.
_CONFIG_EXCEPTIONS = {
    ("nn", "squareplus"): {"b"},
    ("numpy", "trapezoid"): {"x"},
    # Its legacy `num_tokens=` keyword goes to Keras's constructor.
    ("nn", "multi_hot"): {"kwargs"},
}
_CALL_EXCEPTIONS = {
    ("numpy", "full"): {"fill_value"},
    ("numpy", "full_like"): {"fill_value"},
    ("numpy", "average"): {"weights"},
    ("numpy", "digitize"): {"bins"},
    ("einops", "rearrange"): {"tensor", "pattern", "axes_lengths"},
}
# (family, function name) -> (family, Keras class) where Keras records the op under another name
# or in another module than the function's own.
_RECORDED_AS = {
    ("nn", "tanh"): ("numpy", "Tanh"),
    # Defined in jeras's numpy module, Keras's classes live elsewhere.
    ("numpy", "cast"): ("core", "Cast"),
    ("numpy", "convert_to_tensor"): ("core", "ConvertToTensor"),
    ("numpy", "stop_gradient"): ("core", "StopGradient"),
    ("numpy", "slice"): ("core", "Slice"),
}

# Function name -> {jax.numpy parameter: Keras's name for it}, for the ops still defined as
# `jax.numpy` wrappers whose parameter names differ from Keras's (saved config keys).
_KERAS_NAMES_OF_JAX_PARAMETERS = {
    "reshape": {"shape": "newshape"},
    "clip": {"min": "x_min", "max": "x_max"},
    "tile": {"reps": "repeats"},
}

# Keras class name -> {family: OperationSpec}, for reading `.keras` files back.
_SPECS_BY_CLASS = {}
# id(plain function) -> its dispatching version, to replace the plain one where it was imported.
_DISPATCHING = {}
# Public functions that are no ops but answer from a symbolic tensor itself, as in Keras.
_ANSWERED_BY_THE_TENSOR = {
    "shape": lambda x: x.shape,
    "dtype": lambda x: x.dtype,
}


def register_operations(namespace, family, not_operations=()):
    """Make every public function of an ops module (`namespace`, the module's `vars()`) record a
    graph node when called on symbolic tensors, and remember it as the Keras operation class of
    `family` ("numpy", "nn", ...) that it stands for, so that files naming that class load.

    `not_operations` names the public functions that are no ops (`shape`, `dtype`: they answer
    from the tensor itself, or refuse symbolic tensors as Keras does)."""
    if family not in _KERAS_MODULES:
        raise ValueError(f"Unknown ops family {family!r}; expected one of {list(_KERAS_MODULES)}.")
    wrapped = {}
    for name, fn in list(namespace.items()):
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        # The module's own functions and its `jax.numpy` wrappers; not what it imported.
        if fn.__module__ != namespace["__name__"] and not getattr(fn, "_jax_signature", False):
            continue
        if name in not_operations:
            if name in _ANSWERED_BY_THE_TENSOR and id(fn) not in _DISPATCHING:
                _DISPATCHING[id(fn)] = namespace[name] = _answering(fn, name)
            continue
        if getattr(fn, "_symbolic_spec", None) is not None:
            continue  # registered already (re-exported from another family)
        if id(fn) in _DISPATCHING and id(fn) not in wrapped:
            # Imported from a family registered before: it keeps that family's record.
            namespace[name] = _DISPATCHING[id(fn)]
            continue
        # An alias (`swish = silu`) records the function it names.
        canonical = getattr(fn, "__name__", name)
        if id(fn) not in wrapped:
            spec = OperationSpec(fn, family, canonical)
            wrapped[id(fn)] = _DISPATCHING[id(fn)] = _dispatching(fn, spec)
            _SPECS_BY_CLASS.setdefault(spec.class_name, {}).setdefault(spec.family, spec)
        namespace[name] = wrapped[id(fn)]


def use_registered_operations(namespace):
    """Replace, in `namespace` (a package's `vars()`), the functions it imported before they
    were registered by their registered versions."""
    for name, value in list(namespace.items()):
        replacement = _DISPATCHING.get(id(value))
        if replacement is not None:
            namespace[name] = replacement


def operation_spec(class_name, module=None):
    """The registered op that Keras operation class `class_name` (of Keras module `module`, when
    known) stands for, or None."""
    by_family = _SPECS_BY_CLASS.get(class_name)
    if not by_family:
        return None
    for family, keras_module in _KERAS_MODULES.items():
        if keras_module == module and family in by_family:
            return by_family[family]
    return next(iter(by_family.values()))


class OperationSpec:
    """How one ops function is recorded: its Keras operation class and module, and which of its
    parameters are the node's call arguments (the rest are the operation's config)."""

    def __init__(self, fn, family, name):
        self.fn = fn
        self.name = name
        recorded_family, class_name = _RECORDED_AS.get(
            (family, name), (family, _class_name_of(name))
        )
        self.family = recorded_family
        self.class_name = class_name
        self.keras_module = _KERAS_MODULES[recorded_family]
        # Wrappers of `jax.numpy` functions carry jax's signature, whose defaults Keras does not
        # know: only the arguments given are recorded for them.
        self.records_defaults = not getattr(fn, "_jax_signature", False)
        try:
            self.signature = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None
        call = (_CALL_PARAMETERS | _CALL_EXCEPTIONS.get((family, name), set())) - (
            _CONFIG_EXCEPTIONS.get((family, name), set())
        )
        parameters = self.signature.parameters.values() if self.signature else ()
        self.call_parameters = [p for p in parameters if p.name in call]
        self.keras_names = {}
        if not self.records_defaults:
            self.keras_names = _KERAS_NAMES_OF_JAX_PARAMETERS.get(name, {})

    def record(self, args, kwargs):
        """The symbolic call: a graph node for this op with these (partly symbolic) arguments."""
        call_args, call_kwargs, config = self._split(args, kwargs)
        make_operation = required_public_object(
            "layers.operations", "make_operation", f"`keras.ops.{self.name}` on a KerasTensor"
        )
        layer = make_operation(self.class_name, module=self.keras_module, **config)
        try:
            return layer(*call_args, **call_kwargs)
        except (TypeError, ValueError) as error:
            if type(error) not in (TypeError, ValueError):
                raise  # an error class of its own (JAX's) keeps its own message
            shapes = [leaf.shape for leaf in _keras_tensors_in((call_args, call_kwargs.values()))]
            raise type(error)(
                f"`keras.ops.{self.name}` cannot be applied to symbolic tensors of shapes "
                f"{shapes} (None: any size) with {config or 'no other arguments'}: {error}"
            ) from error

    def _split(self, args, kwargs):
        bound = None
        if self.signature is not None:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"`keras.ops.{self.name}`: {error}") from None
        if bound is None:
            # No signature to read: positional arguments are the node's, keywords its config.
            config = {k: v for k, v in kwargs.items() if not holds_keras_tensor((v,))}
            call_kwargs = {k: v for k, v in kwargs.items() if k not in config}
            return list(args), call_kwargs, config
        if self.records_defaults:
            bound.apply_defaults()
        call_names = {p.name for p in self.call_parameters}
        call_args, call_kwargs, config = [], {}, {}
        for parameter in self.signature.parameters.values():
            if parameter.name not in bound.arguments:
                continue
            value = bound.arguments[parameter.name]
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                call_args.extend(value)
            elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
                call_kwargs.update(value)
            elif parameter.name in call_names:
                if call_kwargs or parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                    call_kwargs[parameter.name] = value
                else:
                    call_args.append(value)
            elif holds_keras_tensor((value,)):
                # A symbolic value where Keras expects a constant: it becomes an input of the
                # node (the graph works; Keras itself could not save such a call).
                call_kwargs[parameter.name] = value
            else:
                config[self.keras_names.get(parameter.name, parameter.name)] = value
        return call_args, call_kwargs, config

    def function_of(self, config):
        """The array function a node of this op runs: its call arguments (as Keras records
        them, positionally in the order of the call parameters, or by name) with `config`."""
        own_names = {keras: own for own, keras in self.keras_names.items()}
        config = {own_names.get(key, key): _static(value) for key, value in config.items()}
        if self.signature is None:
            return functools.partial(self.fn, **config)
        call_parameters = self.call_parameters
        fn, signature = self.fn, self.signature

        def apply(*args, **kwargs):
            values = dict(config)
            values.update(kwargs)
            extra = []
            for position, value in enumerate(args):
                if position < len(call_parameters) and call_parameters[position].kind not in (
                    inspect.Parameter.VAR_POSITIONAL,
                    inspect.Parameter.KEYWORD_ONLY,
                ):
                    values[call_parameters[position].name] = value
                else:
                    extra.append(value)
            return _call_with(fn, signature, values, extra)

        return apply


def _call_with(fn, signature, values, extra):
    """Call `fn` with arguments given by name (positional-only parameters included), plus
    `extra` values for its `*args`."""
    positional, keywords = [], {}
    leading = True
    for parameter in signature.parameters.values():
        kind = parameter.kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            positional.extend(extra)
            extra = []
            leading = False
        elif kind is inspect.Parameter.VAR_KEYWORD:
            keywords.update({k: v for k, v in values.items() if k not in signature.parameters})
        elif parameter.name in values:
            if leading and kind is not inspect.Parameter.KEYWORD_ONLY:
                positional.append(values[parameter.name])
            else:
                keywords[parameter.name] = values[parameter.name]
        elif kind is not inspect.Parameter.KEYWORD_ONLY:
            leading = False
    if extra:
        positional.extend(extra)
    return fn(*positional, **keywords)


def _static(value):
    # JSON turns tuples (axes, shapes) into lists, which jax.numpy reads as arrays.
    if isinstance(value, list):
        return tuple(_static(v) for v in value)
    return value


def _class_name_of(function_name):
    """Keras's operation class for a function: its name in CamelCase (`top_k` -> `TopK`)."""
    return "".join(part[:1].upper() + part[1:] for part in function_name.split("_"))


def operation_name(class_name):
    """The automatic name of a node of Keras operation `class_name`, as Keras gives it."""
    return to_snake_case(class_name)


def holds_keras_tensor(values):
    """Whether any of `values`, or anything nested in a list, tuple or dict among them, is a
    `KerasTensor`. Written out rather than with `jax.tree_util`: it runs on every op call."""
    for value in values:
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple)):
            if value and holds_keras_tensor(value):
                return True
        elif isinstance(value, dict):
            if value and holds_keras_tensor(value.values()):
                return True
    return False


def _keras_tensors_in(values):
    found = []
    for value in values:
        if isinstance(value, KerasTensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(_keras_tensors_in(value))
        elif isinstance(value, dict):
            found.extend(_keras_tensors_in(value.values()))
    return found


def _dispatching(fn, spec):
    @functools.wraps(fn)
    def operation(*args, **kwargs):
        if holds_keras_tensor(args) or (kwargs and holds_keras_tensor(kwargs.values())):
            return spec.record(args, kwargs)
        return fn(*args, **kwargs)

    operation._symbolic_spec = spec
    return operation


def _answering(fn, name):
    answer = _ANSWERED_BY_THE_TENSOR[name]

    @functools.wraps(fn)
    def query(x, *args, **kwargs):
        if isinstance(x, KerasTensor):
            return answer(x)
        return fn(x, *args, **kwargs)

    return query
