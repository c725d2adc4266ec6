"""Flux's optimisers and losses as the Flux ports use them; private module (not a benchmark).

Every benchmark ported from a Flux notebook takes its optimiser and its loss from here, so a
Flux-vs-Keras difference is written down once (see the porting notes of ``sources/experiments.md``):

* ``adam``: Flux ``ADAM(η)`` has β = (0.9, 0.999) as Keras, but ε = 1e-8 (Keras' default is 1e-7);
  ``amsgrad`` is Flux ``AMSGrad(η)``, the same with ``amsgrad=True``. ``FusedAdam`` is the same update
  in one kernel per variable, for the tiny toy networks whose step time is op dispatch.
* ``adadelta``: Flux ``ADADelta()`` has no learning rate, i.e. Keras' ``Adadelta`` at 1.0.
* ``crossentropy``: old (Tracker-era) Flux ``crossentropy(ŷ, y) = -sum(y .* log.(ŷ)) / size(y, 2)`` on
  probabilities, with *no* clipping. Keras' categorical cross-entropy clips at 1e-7, so it can never
  become infinite; this one does as soon as the probability of a true class underflows to 0 (001-o).
  The labels are a Flux ``OneHotMatrix`` of ``Bool``, and in Julia ``false * -Inf == 0``: an underflowed
  probability of a *wrong* class contributes 0 to the loss and to the gradient, never NaN.
* ``logit_crossentropy``: newer Flux ``logitcrossentropy`` = Keras ``from_logits=True`` mean over the batch.
* ``mse``: Flux ``mse`` is the mean over all entries, as Keras' ``MeanSquaredError`` on (n, 10).

The compiled full-batch loop these feed (``Flux.train!`` over ``Iterators.repeated((X, Y), n)``) is
``suite.backends.training.full_batch_steps``.

Backends: each loss is written once in TensorFlow ops (the numbers ``baselines/quick.json`` holds, bit
for bit) and once in ``keras.ops`` for the other backends (JAX), the same formula op for op; the backend
Keras was loaded with picks one by what it can compute (``Backend.takes_tensorflow_ops``), not by its name. ``FusedAdam`` is a TensorFlow kernel; elsewhere it is Keras' Adam with
the same hyperparameters, which computes the same update (see its docstring).
"""

from __future__ import annotations

import keras

from suite import backends

#: Flux's ``ADAM()``: η = 0.001, β = (0.9, 0.999), ε = 1e-8. Keras' default ε is 1e-7, so it is passed.
FLUX_ADAM_EPSILON = 1e-8


def adam(learning_rate: float = 0.001, *, amsgrad: bool = False) -> keras.optimizers.Optimizer:
    """Flux ``ADAM(η)`` (or ``AMSGrad(η)`` with ``amsgrad=True``) as Keras' Adam with Flux's ε."""
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.9, beta_2=0.999,
                                 epsilon=FLUX_ADAM_EPSILON, amsgrad=amsgrad)


def adadelta() -> keras.optimizers.Optimizer:
    """Flux ``ADADelta()``: rho 0.9, epsilon 1e-8 and no learning rate, i.e. Keras' ``Adadelta`` at 1.0.

    Keras 3's default learning rate for Adadelta is 0.001, which would train a thousand times slower.
    The update rule is the same on both sides: ``delta = sqrt(acc_delta + eps) / sqrt(acc_grad + eps) * g``.
    """
    return keras.optimizers.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-8)


class FusedAdam:
    """Flux's ``ADAM(η)`` as one fused TensorFlow kernel per variable (``ResourceApplyAdam``).

    Same update as ``adam(η)`` — m and v moving averages, step η·√(1-β₂ᵗ)/(1-β₁ᵗ)·m/(√v + ε) — and
    the same numbers (checked: equal final losses to 6 digits), but one op per variable and step
    instead of Keras' ~15. On a 200-point problem the step time is op dispatch, so this makes the
    compiled loop ~1.5x faster. It implements the two methods ``suite.backends.training.full_batch_steps`` calls.

    Flux itself adds ε to the bias-corrected √v̂ (ε_Keras = ε_Flux·√(1-β₂ᵗ)); with ε = 1e-8
    that only matters while gradients are ~1e-8, i.e. never here.

    On JAX there is no such kernel: ``keras_optimizer`` gives Keras' Adam with the same η, β and ε,
    whose update is ``ResourceApplyAdam``'s formula (α = η·√(1-β₂ᵗ)/(1-β₁ᵗ); m += (g-m)(1-β₁);
    v += (g²-v)(1-β₂); w -= α·m/(√v + ε)), and the JAX loop trains with it.
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = FLUX_ADAM_EPSILON):
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.built = False
        self._keras_optimizer = None

    def keras_optimizer(self) -> keras.optimizers.Optimizer:
        """Keras' Adam with this optimiser's η, β and ε (one per instance, so its moments carry over calls)."""
        if self._keras_optimizer is None:
            self._keras_optimizer = keras.optimizers.Adam(learning_rate=self.learning_rate, beta_1=self.beta_1,
                                                          beta_2=self.beta_2, epsilon=self.epsilon)
        return self._keras_optimizer

    def build(self, variables) -> None:
        import tensorflow as tf

        if self.built:  # a second call of full_batch_steps continues the same training
            return
        self._moments = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False) for v in variables]
        self._velocities = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False) for v in variables]
        self._step = tf.Variable(0.0, trainable=False)
        self.built = True

    def apply_gradients(self, gradients_and_variables) -> None:
        import tensorflow as tf

        step = self._step.assign_add(1.0)
        beta_1_power, beta_2_power = tf.pow(self.beta_1, step), tf.pow(self.beta_2, step)
        for (gradient, variable), moment, velocity in zip(gradients_and_variables, self._moments,
                                                          self._velocities, strict=True):
            tf.raw_ops.ResourceApplyAdam(
                var=_handle(variable), m=moment.handle, v=velocity.handle, beta1_power=beta_1_power,
                beta2_power=beta_2_power, lr=self.learning_rate, beta1=self.beta_1, beta2=self.beta_2,
                epsilon=self.epsilon, grad=gradient)


def _handle(variable):
    """The resource handle of a Keras 3 variable (its ``value`` is the backing ``tf.Variable``)."""
    return variable.value.handle if hasattr(variable.value, "handle") else variable.handle


def crossentropy(y_true, probabilities):
    """Old Flux ``crossentropy``: ``-Σ y·log(p) / batch`` with no epsilon (inf when a true p is 0)."""
    if _on_other_backend():
        ops = keras.ops
        return ops.sum(crossentropy_per_sample(y_true, probabilities)) / ops.cast(
            ops.shape(probabilities)[0], probabilities.dtype)
    import tensorflow as tf

    return tf.reduce_sum(crossentropy_per_sample(y_true, probabilities)) / tf.cast(
        tf.shape(probabilities)[0], probabilities.dtype)


def crossentropy_per_sample(y_true, probabilities):
    """Per-sample form of ``crossentropy`` for ``model.compile`` (Keras averages over the batch)."""
    if _on_other_backend():
        ops = keras.ops
        y_true = ops.cast(y_true, probabilities.dtype)
        log_p = ops.log(ops.where(y_true > 0, probabilities, ops.ones_like(probabilities)))
        return -ops.sum(y_true * log_p, axis=-1)
    import tensorflow as tf

    y_true = tf.cast(y_true, probabilities.dtype)
    # Julia's Bool one-hot is a strong zero: false * log(0) == 0 and so is its derivative false * (1/0).
    # Taking the log of 1 instead of p at the wrong classes gives both; ``tf.where(y > 0, y * log(p), 0)``
    # would not: its gradient is 0 * (1/p), NaN as soon as a wrong class's probability underflows.
    log_p = tf.math.log(tf.where(y_true > 0, probabilities, tf.ones_like(probabilities)))
    return -tf.reduce_sum(y_true * log_p, axis=-1)


def logit_crossentropy(y_true, logits):
    """Newer Flux ``logitcrossentropy(ŷ, y)`` = mean over the batch of ``-Σ y·logsoftmax(ŷ)``."""
    if _on_other_backend():
        ops = keras.ops
        return -ops.mean(ops.sum(ops.cast(y_true, logits.dtype) * ops.log_softmax(logits, axis=-1), axis=-1))
    import tensorflow as tf

    return -tf.reduce_mean(tf.reduce_sum(tf.cast(y_true, logits.dtype) * tf.nn.log_softmax(logits), axis=-1))


def mse(y_true, predictions):
    """Flux ``mse``: mean of the squared error over all entries."""
    if _on_other_backend():
        return keras.ops.mean(keras.ops.square(predictions - keras.ops.cast(y_true, predictions.dtype)))
    import tensorflow as tf

    return tf.reduce_mean(tf.square(predictions - tf.cast(y_true, predictions.dtype)))


def _on_other_backend() -> bool:
    """True where Keras' tensors are not TensorFlow's (JAX): the losses take their ``keras.ops`` form."""
    return not backends.current().takes_tensorflow_ops
