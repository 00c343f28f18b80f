// Package weights reads PyTorch state_dicts, from .safetensors files and from
// the zip archives torch.save writes (.pth, unpickled by
// github.com/nlpodyssey/gopickle), and loads them into a graph.Model whose
// parameters carry torchvision's names (package layers).
//
// Loading is strict, like load_state_dict(strict=True): missing, unexpected
// and wrongly shaped keys make one error that lists them. The batch-norm
// counters num_batches_tracked are accepted and ignored. A classifier head
// (fc.*, classifier.1.*) whose class count differs from the model's is left
// as the model initialized it, and the Report says so: the fine-tuning case.
//
// WriteSafetensors writes parameters the other way, as a torchvision
// state_dict in .safetensors (model.safetensors, best.safetensors and
// ema.safetensors of a run).
//
// Bad files give an error naming the file and the problem, never a panic.
//
// It sits below layers, not beside it, because the top-level packages are
// fixed by the design.
package weights
