"""torch's default DDP communication hooks (torch/distributed/algorithms/ddp_comm_hooks/default_hooks.py), on
ember.distributed: `hook(process_group, bucket) -> Future[Tensor]` for DistributedDataParallel.register_comm_hook.

allreduce_hook averages the bucket (divided by the group's size before the sum, as DDP's own reduction); the
compress hooks all-reduce a float16 (bfloat16) copy of the bucket divided by the group's size and write the result
back into the bucket's buffer. ember's MPI backend sums float16 in float32 and rounds once per all-reduce; on 2
ranks that is the one rounding of torch's float16 addition. The bf16 hooks need CUDA and NCCL in torch, and DDP
refuses them on CPU as torch's does."""
import ember
from ember import distributed as dist

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook", "fp16_compress_wrapper",
           "bf16_compress_wrapper"]


def _allreduce_fut(process_group, tensor):
    """Average `tensor` over the group in place; a Future of it."""
    group_to_use = process_group if process_group is not None else dist.group.WORLD
    # divided first, as torch's, to avoid overflow (float16 above all)
    tensor.div_(group_to_use.size())
    return dist.all_reduce(tensor, group=group_to_use, async_op=True).get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group, bucket):
    """The average of the bucket over the group: what DDP does without a hook."""
    return _allreduce_fut(process_group, bucket.buffer())


def _compress_hook(dtype, process_group, bucket):
    group_to_use = process_group if process_group is not None else dist.group.WORLD
    world_size = group_to_use.size()
    buffer = bucket[0] if isinstance(bucket, tuple) else bucket.buffer()
    compressed_tensor = buffer.to(dtype).div_(world_size)

    def decompress(fut):
        decompressed_tensor = buffer
        # decompressed in place, into the bucket's buffer (torch: to reduce the peak memory)
        value = fut if isinstance(fut, ember.Tensor) else fut.value()[0]
        decompressed_tensor.copy_(value)
        return decompressed_tensor

    return dist.all_reduce(compressed_tensor, group=group_to_use, async_op=True).get_future().then(decompress)


def fp16_compress_hook(process_group, bucket):
    """All-reduce the bucket cast to float16 and divided by the group's size; cast back into the bucket."""
    return _compress_hook(ember.float16, process_group, bucket)


def bf16_compress_hook(process_group, bucket):
    """As fp16_compress_hook in bfloat16 (torch: CUDA and NCCL only)."""
    return _compress_hook(ember.bfloat16, process_group, bucket)


def _compress_wrapper(dtype, hook):
    def wrapper(hook_state, bucket):
        bucket.set_buffer(bucket.buffer().to(dtype))
        fut = hook(hook_state, bucket)

        def decompress(fut):
            decompressed_tensor = bucket.buffer()
            decompressed_tensor.copy_(fut.value())
            return decompressed_tensor

        return fut.then(decompress)
    return wrapper


def fp16_compress_wrapper(hook):
    """`hook` run on the bucket cast to float16, its result cast back (fp16_compress_hook is
    fp16_compress_wrapper(allreduce_hook))."""
    w = _compress_wrapper(ember.float16, hook)
    w.__name__ = w.__qualname__ = "fp16_compress_wrapper_hook"
    return w


def bf16_compress_wrapper(hook):
    """As fp16_compress_wrapper in bfloat16 (torch: CUDA and NCCL only)."""
    w = _compress_wrapper(ember.bfloat16, hook)
    w.__name__ = w.__qualname__ = "bf16_compress_wrapper_hook"
    return w
