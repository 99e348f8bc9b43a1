"""`LearningRateSchedule`: the base class of learning-rate schedules."""


class LearningRateSchedule:
    """Subclass and implement `__call__(step)` (step is the optimizer's 0-based iteration count,
    a traced integer inside `fit()`) and `get_config()`."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must override `get_config()`.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)
