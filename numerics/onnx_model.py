"""ONNX classifiers as :class:`ReLUNetwork` (needs the ``onnx`` package: ``pip install 'relucap[onnx]'``).

The graph must be a chain of affine operators and ``Relu`` on one input tensor: ``Gemm``,
``MatMul`` and ``Conv`` with constant weights, ``Add``/``Sub``/``Mul``/``Div`` by constants,
``BatchNormalization`` (inference), ``AveragePool``, ``Flatten``, ``Reshape``, ``Identity`` and
``Dropout`` (inference), with ``Constant`` nodes and initializers for the parameters.  Nodes that
only compute on constants (e.g. the ``Shape -> Gather -> Concat`` an exporter emits for a
reshape) are evaluated with ``onnx.reference``.  Any other operator is refused by name.  Weights
are copied to float64; the affine operators between two ``Relu`` nodes form one layer map
(a matrix, or an implicit chain when a convolution is involved).
"""
from __future__ import annotations

import os

import numpy as np

from . import layers

__all__ = ["load_onnx", "SUPPORTED_OPS"]

SUPPORTED_OPS = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Flatten", "Reshape", "Conv",
                 "BatchNormalization", "AveragePool", "Constant", "Identity", "Dropout")


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise TypeError("reading .onnx files needs the onnx package: pip install 'relucap[onnx]'") from exc
    return onnx, numpy_helper


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _what(node):
    return f"node {node.name or '?'} ({node.op_type})"


def load_onnx(path):
    """The :class:`ReLUNetwork` computing the ONNX model at ``path`` (a file or an ``onnx.ModelProto``).

    The network takes the input flattened in C order (``net.input_shape`` is the model's input
    shape without the batch dimension); its outputs are the model's output (one value: a
    Heaviside class; k >= 2 values: logits, class = argmax)."""
    onnx, numpy_helper = _onnx()
    from .network import ReLUNetwork

    if isinstance(path, (str, os.PathLike)):
        try:
            model = onnx.load(os.fspath(path))
        except Exception as exc:      # the protobuf parser raises several types
            raise ValueError(f"--model: {os.fspath(path)} is not a readable ONNX file ({exc})") from None
    else:
        model = path
    g = model.graph
    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == "f"
              else numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in consts]
    if len(inputs) != 1:
        raise ValueError(f"the ONNX graph must have one data input, got {[i.name for i in inputs]}")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = []
    for i, dm in enumerate(dims[1:], start=1):
        if not dm.HasField("dim_value"):
            raise ValueError(f"ONNX input {inputs[0].name!r}: dimension {i} is symbolic ({dm.dim_param!r}); "
                             "relucap needs a fixed input shape apart from the batch")
        shape.append(int(dm.dim_value))
    shape = tuple(shape)
    input_shape = shape
    dyn = inputs[0].name
    maps, ops = [], []

    def const(name, node):
        if name not in consts:
            raise ValueError(f"{_what(node)}: input {name!r} must be a constant (initializer or Constant node)")
        return consts[name]

    def scale_op(s, c, node):
        full = (1,) + shape
        try:
            s = np.broadcast_to(np.asarray(s, dtype=float), full).reshape(-1)
            c = np.broadcast_to(np.asarray(c, dtype=float), full).reshape(-1)
        except ValueError:
            raise ValueError(f"{_what(node)}: constant of shape {np.shape(s)} does not broadcast to the "
                             f"data shape {full}") from None
        return layers.Scale(s, c, shape, name=node.op_type)

    for node in g.node:
        op, ins, outs = node.op_type, list(node.input), list(node.output)
        at = _attrs(node)
        if op == "Constant":
            consts[outs[0]] = _constant_value(node, numpy_helper)
            continue
        dyn_in = [n for n in ins if n == dyn]
        if op == "Shape" and dyn_in:
            consts[outs[0]] = np.array((1,) + shape, dtype=np.int64)
            continue
        if not dyn_in and all((n in consts) or n == "" for n in ins):
            consts.update(_fold(node, consts))          # a computation on constants only
            continue
        if op not in SUPPORTED_OPS:
            raise ValueError(f"{_what(node)}: unsupported ONNX operator {op!r}; relucap reads "
                             f"{', '.join(SUPPORTED_OPS)}")
        if len(dyn_in) != 1 or (ins and op not in ("Add", "Mul", "Sub") and ins[0] != dyn):
            raise ValueError(f"{_what(node)}: the graph must be a chain on one data tensor "
                             f"(inputs {ins}, data tensor {dyn!r})")
        other = [n for n in ins if n != dyn and n != ""]
        if op == "Relu":
            if not ops:
                raise ValueError(f"{_what(node)}: a Relu must follow an affine operator (Gemm, Conv, ...)")
            maps.append(layers.as_map(ops))
            ops = []
        elif op in ("Identity", "Dropout"):
            if op == "Dropout" and at.get("training_mode", 0):
                raise ValueError(f"{_what(node)}: Dropout in training mode is random; export in eval mode")
        elif op == "Gemm":
            if at.get("transA", 0):
                raise ValueError(f"{_what(node)}: transA=1 is not supported")
            B = const(ins[1], node)
            B = B.T if at.get("transB", 0) else B
            W = at.get("alpha", 1.0) * B.T
            C = const(ins[2], node) if len(ins) > 2 and ins[2] else np.zeros(W.shape[0])
            if len(shape) != 1 or shape[0] != W.shape[1]:
                raise ValueError(f"{_what(node)}: weights take {W.shape[1]} features, data has shape {shape}")
            b = np.broadcast_to(at.get("beta", 1.0) * np.asarray(C, dtype=float), (W.shape[0],))
            ops.append(layers.Dense(_ro(W), _ro(b)))
            shape = (W.shape[0],)
        elif op == "MatMul":
            W = const(ins[1], node)
            if W.ndim != 2 or len(shape) != 1 or shape[0] != W.shape[0]:
                raise ValueError(f"{_what(node)}: needs a 2-D constant weight taking the {shape} data")
            ops.append(layers.Dense(_ro(W.T), _ro(np.zeros(W.shape[1]))))
            shape = (W.shape[1],)
        elif op in ("Add", "Sub", "Mul", "Div"):
            c = const(other[0], node) if other else None
            if c is None:
                raise ValueError(f"{_what(node)}: both operands are the data tensor (not affine)")
            first = ins[0] == dyn
            if op == "Add":
                ops.append(scale_op(1.0, c, node))
            elif op == "Sub":
                ops.append(scale_op(1.0, -c, node) if first else scale_op(-1.0, c, node))
            elif op == "Mul":
                ops.append(scale_op(c, 0.0, node))
            else:
                if not first:
                    raise ValueError(f"{_what(node)}: dividing a constant by the data is not affine")
                ops.append(scale_op(1.0 / c, 0.0, node))
        elif op == "Flatten":
            if at.get("axis", 1) != 1:
                raise ValueError(f"{_what(node)}: only Flatten with axis=1 is supported")
            new = (int(np.prod(shape)),)
            ops.append(layers.Reshape(shape, new))
            shape = new
        elif op == "Reshape":
            target = [int(v) for v in const(ins[1], node)]
            full = [((1,) + shape)[i] if v == 0 and not at.get("allowzero", 0) else v for i, v in enumerate(target)]
            try:
                new = np.empty((1,) + shape).reshape(full).shape
            except ValueError:
                raise ValueError(f"{_what(node)}: cannot reshape {(1,) + shape} to {target}") from None
            if new[0] != 1:
                raise ValueError(f"{_what(node)}: reshape to {target} mixes the batch with the data")
            ops.append(layers.Reshape(shape, new[1:]))
            shape = tuple(new[1:])
        elif op in ("Conv", "AveragePool"):
            nd = len(shape) - 1
            if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
                raise ValueError(f"{_what(node)}: auto_pad={at['auto_pad']!r} is not supported; export with explicit pads")
            if at.get("ceil_mode", 0):
                raise ValueError(f"{_what(node)}: ceil_mode=1 is not supported")
            pads = list(at.get("pads", [0] * (2 * nd)))
            strides = list(at.get("strides", [1] * nd))
            if op == "Conv":
                W = const(ins[1], node)
                b = const(ins[2], node) if len(ins) > 2 and ins[2] else None
                groups = int(at.get("group", 1))
                dil = list(at.get("dilations", [1] * nd))
            else:
                k = list(at["kernel_shape"])
                if any(pads) and not at.get("count_include_pad", 0):
                    raise ValueError(f"{_what(node)}: AveragePool with padding and count_include_pad=0 is not "
                                     "a fixed linear map of this form; export with count_include_pad=1")
                C = shape[0]
                W, b, groups, dil = np.full((C, 1, *k), 1.0 / np.prod(k)), None, C, [1] * nd
            conv = layers.Conv(W, b, shape, stride=strides, pads=pads, dilation=dil, groups=groups,
                               name=f"{op} {node.name}".strip())
            ops.append(conv)
            shape = conv.out_shape
        elif op == "BatchNormalization":
            if at.get("training_mode", 0):
                raise ValueError(f"{_what(node)}: BatchNormalization in training mode; export in eval mode")
            sc, bb, mean, var = (const(n, node) for n in ins[1:5])
            s = sc / np.sqrt(var + at.get("epsilon", 1e-5))
            c = bb - mean * s
            view = (-1,) + (1,) * (len(shape) - 1)
            ops.append(scale_op(s.reshape(view), c.reshape(view), node))
        dyn = outs[0]
    outputs = [o.name for o in g.output]
    if outputs != [dyn]:
        raise ValueError(f"the ONNX graph's output {outputs} is not the end of the chain ({dyn!r})")
    if not ops:
        raise ValueError("the ONNX graph ends with a Relu; the last operator must be affine (the logits)")
    maps.append(layers.as_map(ops))
    if len(shape) != 1:
        raise ValueError(f"the ONNX model's output has shape {shape}; it must be a vector of logits")
    if len(maps) < 2:
        raise ValueError("the ONNX model has no Relu: relucap needs at least one hidden ReLU layer")
    return ReLUNetwork.from_maps(maps, input_shape=input_shape)


def _ro(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def _constant_value(node, numpy_helper):
    from onnx import helper
    for a in node.attribute:
        if a.name == "value":
            v = numpy_helper.to_array(a.t)
            return v.astype(np.float64) if v.dtype.kind == "f" else v
        if a.name in ("value_float", "value_int", "value_floats", "value_ints"):
            return np.array(helper.get_attribute_value(a))
    raise ValueError(f"{_what(node)}: unsupported Constant attribute {[a.name for a in node.attribute]}")


def _fold(node, consts):
    from onnx.reference import ReferenceEvaluator
    try:
        ref = ReferenceEvaluator(node)
        vals = ref.run(None, {n: consts[n] for n in node.input if n})
    except Exception as exc:
        raise ValueError(f"{_what(node)}: could not evaluate this operator on constants ({exc})") from None
    return dict(zip(node.output, vals))
