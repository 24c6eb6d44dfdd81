"""optim: optimizers, learning-rate schedulers, gradient clipping and gradient
accumulation (mirrors ``torch.optim``; port a script by replacing ``torch.optim`` with
``optim``).

Every optimizer updates the parameters in place on their arrays, with its state
buffers allocated once and reusable scratch space, so a warm step allocates no large
arrays.

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([2.0, -1.0], requires_grad=True)
    >>> opt = optim.AdamW([w], lr=0.1)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     loss = (w * w).sum()
    ...     loss.backward()
    ...     total_norm = optim.clip_grad_norm_([w], max_norm=1.0)
    ...     opt.step()
    ...     sched.step()
    >>> [round(v, 4) for v in w.tolist()]
    [1.6942, -0.6979]
"""

from . import lr_scheduler
from .accumulation import GradientAccumulator
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import (
    AdaptiveGradClip,
    AdaptiveGradientClipping,
    agc_,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
    "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
    "AdaptiveGradientClipping", "agc_", "AdaptiveGradClip", "GradientAccumulator",
]
