"""NumPy reference implementations of PyTorch's optimizer algorithms (the algorithm
boxes of the torch.optim documentation), written plainly with fresh arrays, for the
trajectory tests. Each ``step(p, g, state)`` returns the new parameter."""

from __future__ import annotations

import numpy as np


def _direction(p, g, weight_decay, maximize):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    return g


class RefSGD:
    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
        self.__dict__.update(locals())

    def step(self, p, g, st):
        g = _direction(p, g, self.weight_decay, self.maximize)
        if self.momentum:
            if "b" not in st:
                st["b"] = g.copy()
            else:
                st["b"] = self.momentum * st["b"] + (1 - self.dampening) * g
            g = g + self.momentum * st["b"] if self.nesterov else st["b"]
        return p - self.lr * g


class RefAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False, decoupled=False):
        self.__dict__.update(locals())

    def step(self, p, g, st):
        b1, b2 = self.betas
        t = st["t"] = st.get("t", 0) + 1
        g = -g if self.maximize else g
        if self.weight_decay and self.decoupled:
            p = p * (1 - self.lr * self.weight_decay)
        elif self.weight_decay:
            g = g + self.weight_decay * p
        st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
        st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
        m_hat = st["m"] / (1 - b1 ** t)
        v = st["v"]
        if self.amsgrad:
            v = st["vmax"] = np.maximum(st.get("vmax", 0.0), st["v"])
        v_hat = v / (1 - b2 ** t)
        return p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RefRMSprop:
    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, maximize=False):
        self.__dict__.update(locals())

    def step(self, p, g, st):
        a = self.alpha
        g = _direction(p, g, self.weight_decay, self.maximize)
        st["v"] = a * st.get("v", 0.0) + (1 - a) * g * g
        v = st["v"]
        if self.centered:
            st["ga"] = a * st.get("ga", 0.0) + (1 - a) * g
            v = v - st["ga"] ** 2
        step = g / (np.sqrt(v) + self.eps)
        if self.momentum > 0:
            st["b"] = self.momentum * st.get("b", 0.0) + step
            step = st["b"]
        return p - self.lr * step


class RefAdagrad:
    def __init__(self, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, maximize=False):
        self.__dict__.update(locals())

    def step(self, p, g, st):
        t = st["t"] = st.get("t", 0) + 1
        g = _direction(p, g, self.weight_decay, self.maximize)
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        st["s"] = st.get("s", self.initial_accumulator_value) + g * g
        return p - clr * g / (np.sqrt(st["s"]) + self.eps)


REFERENCES = {"SGD": RefSGD, "Adam": RefAdam, "RMSprop": RefRMSprop, "Adagrad": RefAdagrad}


def reference(name, kwargs):
    """The reference optimizer for ``optim.<name>(**kwargs)``."""
    kwargs = dict(kwargs)
    if name == "AdamW":
        kwargs.setdefault("weight_decay", 1e-2)
        return RefAdam(decoupled=True, **kwargs)
    return REFERENCES[name](**kwargs)
