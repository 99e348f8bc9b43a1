"""The training machinery behind `Model.fit` / `evaluate` / `predict`: compile state, the step
functions, the engine that compiles them, and the step loop."""
