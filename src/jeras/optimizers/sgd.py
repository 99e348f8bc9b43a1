"""`SGD`: gradient descent with optional (Nesterov) momentum."""

from jeras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Args:
        learning_rate: default 0.01.
        momentum: a float in `[0, 1]` that accumulates past updates in a velocity and damps
            oscillations (default 0.0: plain gradient descent).
        nesterov: whether to take the Nesterov form of momentum, which looks one step ahead.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float) or not 0 <= momentum <= 1:
            raise ValueError(
                f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}"
            )
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        super().build(variables)
        self.momentums = (
            [self.add_variable_from_reference(v, "momentum") for v in variables]
            if self.momentum != 0
            else []
        )

    def update_step(self, gradient, variable, learning_rate):
        if self.momentum == 0:
            variable.assign(variable.value - gradient * learning_rate)
            return
        m = self.momentums[self._get_variable_index(variable)]
        new_m = self.momentum * m.value - gradient * learning_rate
        m.assign(new_m)
        if self.nesterov:
            variable.assign(variable.value + self.momentum * new_m - gradient * learning_rate)
        else:
            variable.assign(variable.value + new_m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
