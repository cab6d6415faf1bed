"""Packed sequences (torch/nn/utils/rnn.py): PackedSequence, pack_padded_sequence, pad_packed_sequence,
pad_sequence, pack_sequence, unpad_sequence, unpack_sequence.

A PackedSequence holds the time-major concatenation of the valid steps of a batch sorted by decreasing length:
`data` has the rows input[t, :batch_sizes[t]] for t = 0, 1, ... . Packing is one boolean-mask index of the padded
input (the mask's true positions in row-major order are exactly that order), unpacking one masked write."""
from collections import namedtuple

import numpy as np

from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(_PackedSequenceBase):
    """(data, batch_sizes, sorted_indices, unsorted_indices); built by pack_padded_sequence / pack_sequence."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                                 "created manually. They should be instantiated by functions like pack_sequence "
                                 "and pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, bind(self.sorted_indices, lambda t: t.to(data.device)),
                          bind(self.unsorted_indices, lambda t: t.to(data.device)))

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=Tensor.double(self.data[:0]).dtype)

    def float(self):
        return self.to(dtype=Tensor.float(self.data[:0]).dtype)

    def half(self):
        return self.to(dtype=Tensor.half(self.data[:0]).dtype)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    from ...ops.creation import arange, empty_like
    output = empty_like(permutation)
    output.scatter_(0, permutation, arange(0, permutation.numel(), device=permutation.device))
    return output


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        return np.asarray(lengths.to("cpu").numpy(), dtype=np.int64)
    return np.asarray(list(lengths), dtype=np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the given lengths."""
    from ... import tensor as _tensor
    from ...ops.creation import from_numpy
    lens = _lengths_array(lengths)
    if enforce_sorted:
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = from_numpy(order.astype(np.int64)).to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lens.size and int(lens.min()) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if enforce_sorted and lens.size > 1 and bool((lens[1:] > lens[:-1]).any()):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if batch_first:
        input = input.transpose(0, 1)
    T = input.shape[0]
    if lens.size and int(lens[0]) > T:
        raise RuntimeError(f"Expected sequence length to be at most the length of the input ({T}), but got "
                           f"{int(lens[0])}")
    if lens.size != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} (batch_size="
                           f"{input.shape[1]})")
    steps = int(lens[0]) if lens.size else 0
    mask = np.arange(steps)[:, None] < lens[None, :]
    batch_sizes = mask.sum(1).astype(np.int64)
    data = input[:steps][_tensor(mask, device=input.device)]
    return PackedSequence(data, from_numpy(batch_sizes), sorted_indices, None)


def _mask_of(batch_sizes, total):
    bs = batch_sizes.numpy() if isinstance(batch_sizes, Tensor) else np.asarray(batch_sizes)
    b = int(bs[0]) if bs.size else 0
    return np.arange(b)[None, :] < np.concatenate([bs, np.zeros(total - bs.size, bs.dtype)])[:, None]


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch (T, B, *) and the lengths (in the original order) of a PackedSequence."""
    from ... import tensor as _tensor
    from ...ops.creation import from_numpy
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    mask = _mask_of(sequence.batch_sizes, max_seq_length)
    padded = data.new_full((max_seq_length, mask.shape[1]) + tuple(data.shape[1:]), padding_value)
    padded[_tensor(mask, device=data.device)] = data
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = from_numpy(mask.sum(0).astype(np.int64))
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return padded.index_select(batch_dim, unsorted_indices), lengths[unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of different lengths (L_i, *) into (T, B, *) (or (B, T, *)), padding with padding_value."""
    from ...ops.shape import stack
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    else:
        try:
            sequences = tuple(sequences)
        except TypeError:
            raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                               f"{type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        n = max_len - s.size(0)
        if n:
            fill = s.new_full((n,) + tuple(s.shape[1:]), padding_value)
            from ...ops.shape import cat
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (sorted by decreasing length unless enforce_sorted=False)."""
    from ... import as_tensor
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
