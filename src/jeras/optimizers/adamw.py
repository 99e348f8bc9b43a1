"""`AdamW`: Adam with decoupled weight decay (Loshchilov & Hutter)."""

from jeras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay, which is required here (default 0.004).

    The decay is the base class's step, `variable -= variable * weight_decay * learning_rate`, run
    before the Adam update.

    Args:
        learning_rate: default 0.001.
        weight_decay: the decay rate (default 0.004); it must be a float, not None.
        beta_1: the decay rate of the first-moment estimate (default 0.9).
        beta_2: the decay rate of the second-moment estimate (default 0.999).
        epsilon: a small constant added to the denominator for numerical stability (default 1e-7).
        amsgrad: whether to use the AMSGrad variant (the running maximum of the second moment).
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
